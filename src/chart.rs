//! Charts as PNG images, drawn with plotters and the DejaVu Sans font shipped
//! in `assets/fonts` (no system fonts are assumed).

use std::sync::Once;

use plotters::prelude::*;
use time::Date;

const WIDTH: u32 = 800;
const HEIGHT: u32 = 400;
const FONT: &str = "sans-serif";
static FONT_BYTES: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");

#[derive(Debug, thiserror::Error)]
#[error("could not draw the chart: {0}")]
pub struct ChartError(pub String);

fn register_font() -> Result<(), ChartError> {
    static REGISTER: Once = Once::new();
    let mut result = Ok(());
    REGISTER.call_once(|| {
        result = plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES)
            .map_err(|_| ChartError("the bundled font is not a valid font".to_owned()));
    });
    result
}

/// Cumulative spend through the days given, and a dashed projection from the
/// last day to `projection` (month end, total), as a PNG.
pub fn spend_png(
    title: &str,
    days: &[(Date, f64)],
    projection: Option<(Date, f64)>,
    unit: &str,
) -> Result<Vec<u8>, ChartError> {
    register_font()?;
    let (Some(first), Some(last)) = (days.first(), days.last()) else {
        return Err(ChartError("no days to draw".to_owned()));
    };
    let start = first.0;
    let day_number = |d: Date| (d - start).whole_days() as f64;
    let mut running = 0.0;
    let cumulative: Vec<(f64, f64)> = days
        .iter()
        .map(|(d, amount)| {
            running += amount;
            // The day's spend counts at the end of that day.
            (day_number(*d) + 1.0, running)
        })
        .collect();
    let end_x = projection
        .map_or(day_number(last.0) + 1.0, |(d, _)| day_number(d))
        .max(1.0);
    let top = projection.map_or(running, |(_, total)| total.max(running)).max(1.0) * 1.1;

    let mut buffer = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, (WIDTH, HEIGHT)).into_drawing_area();
        let draw = |e: &dyn std::fmt::Display| ChartError(e.to_string());
        root.fill(&WHITE).map_err(|e| draw(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 22))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..end_x, 0.0..top)
            .map_err(|e| draw(&e))?;
        chart
            .configure_mesh()
            .x_desc("day of the month")
            .y_desc(unit)
            .x_label_formatter(&|x| format!("{}", (*x as i64) + i64::from(start.day()) - 1))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .label_style((FONT, 13))
            .draw()
            .map_err(|e| draw(&e))?;
        let blue = RGBColor(52, 152, 219);
        chart
            .draw_series(AreaSeries::new(
                std::iter::once((0.0, 0.0)).chain(cumulative.iter().copied()),
                0.0,
                blue.mix(0.25),
            ))
            .map_err(|e| draw(&e))?;
        chart
            .draw_series(LineSeries::new(
                std::iter::once((0.0, 0.0)).chain(cumulative.iter().copied()),
                blue.stroke_width(3),
            ))
            .map_err(|e| draw(&e))?
            .label("spent so far")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], blue.stroke_width(3)));
        if let (Some((end, total)), Some(&(x, y))) = (projection, cumulative.last()) {
            let orange = RGBColor(230, 126, 34);
            let end_x = day_number(end);
            // Dashes: short segments along the projection line.
            let steps = 24;
            let segments: Vec<PathElement<(f64, f64)>> = (0..steps)
                .step_by(2)
                .map(|i| {
                    let at = |k: i32| {
                        let t = f64::from(k) / f64::from(steps);
                        (x + (end_x - x) * t, y + (total - y) * t)
                    };
                    PathElement::new(vec![at(i), at(i + 1)], orange.stroke_width(3))
                })
                .collect();
            chart.draw_series(segments).map_err(|e| draw(&e))?;
            chart
                .draw_series(std::iter::once(Circle::new((end_x, total), 5, orange.filled())))
                .map_err(|e| draw(&e))?
                .label("projected to month end")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], orange.stroke_width(3)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font((FONT, 13))
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK.mix(0.3))
            .draw()
            .map_err(|e| draw(&e))?;
        root.present().map_err(|e| draw(&e))?;
    }
    encode_png(&buffer)
}

fn encode_png(rgb: &[u8]) -> Result<Vec<u8>, ChartError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| ChartError(e.to_string()))?;
    writer.write_image_data(rgb).map_err(|e| ChartError(e.to_string()))?;
    writer.finish().map_err(|e| ChartError(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_month_of_spend_draws_as_a_png() {
        let days: Vec<(Date, f64)> = (1..=27)
            .map(|d| {
                (
                    Date::from_calendar_date(2026, time::Month::November, d).unwrap(),
                    100.0 + f64::from(d),
                )
            })
            .collect();
        let png = spend_png("November 2026", &days, Some((date!(2026 - 12 - 01), 3_600.0)), "USD").unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert!(png.len() > 5_000, "{} bytes", png.len());
    }

    #[test]
    fn no_days_is_an_error_not_a_blank_picture() {
        assert!(spend_png("empty", &[], None, "USD").is_err());
    }
}
