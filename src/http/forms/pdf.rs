//! Draws a `domain::forms::Page` on A4 as PDF: the two-column header of a
//! Vietnamese administrative text, the blocks, and the tracking link's QR
//! code (filled squares) with the link printed under it. The text is set in
//! DejaVu Sans, embedded (subset) so every reader shows Vietnamese
//! (licence: `fonts/LICENSE`, Bitstream Vera).

use std::sync::LazyLock;

use printpdf::{
    FontId, Mm, Op, PaintMode, ParsedFont, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions,
    Point, Pt, Rect, TextItem,
};
use unicode_normalization::UnicodeNormalization;

use crate::domain::forms::{Block, Page};
use crate::error::AppError;

const REGULAR: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("fonts/DejaVuSans-Bold.ttf");

/// A4, in millimetres.
const WIDTH: f32 = 210.0;
const HEIGHT: f32 = 297.0;
const LEFT: f32 = 20.0;
const RIGHT: f32 = 15.0;
const TOP: f32 = 15.0;
const BOTTOM: f32 = 15.0;
/// Points in a millimetre.
const PT_PER_MM: f32 = 72.0 / 25.4;

static FONTS: LazyLock<Option<(ParsedFont, ParsedFont)>> = LazyLock::new(|| {
    let mut warnings = Vec::new();
    Some((
        ParsedFont::from_bytes(REGULAR, 0, &mut warnings)?,
        ParsedFont::from_bytes(BOLD, 0, &mut warnings)?,
    ))
});

/// The page as a PDF document (one A4 page, more when a table runs over).
/// INTERNAL if the embedded fonts cannot be read (a broken build).
pub fn render(page: &Page) -> Result<Vec<u8>, AppError> {
    let (regular, bold) = FONTS
        .as_ref()
        .ok_or_else(|| AppError::internal("the embedded forms font cannot be read"))?;
    let text = page_text(page);
    let cut = |full: &ParsedFont, bytes: &[u8]| {
        subset(full, bytes, &text)
            .ok_or_else(|| AppError::internal("the forms font cannot be subset"))
    };
    let (regular, bold) = (&cut(regular, REGULAR)?, &cut(bold, BOLD)?);
    let title = page.blocks.iter().find_map(|b| match b {
        Block::Title(t) => Some(t.as_str()),
        _ => None,
    });
    let mut doc = PdfDocument::new(title.unwrap_or_default());
    let mut pen = Pen {
        regular: (doc.add_font(regular), regular),
        bold: (doc.add_font(bold), bold),
        ops: Vec::new(),
        pages: Vec::new(),
        y: TOP,
    };
    pen.header(page);
    for block in &page.blocks {
        pen.block(block);
    }
    if let Some(url) = &page.tracking_url {
        pen.qr(url)?;
    }
    let pages = pen.finish();
    Ok(doc
        .with_pages(pages)
        .save(&PdfSaveOptions::default(), &mut Vec::new()))
}

const NATION: &str = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM";
const MOTTO: &str = "Độc lập - Tự do - Hạnh phúc";
const BULLET: &str = "-";

/// Every character the page will show, normalised as drawn.
fn page_text(page: &Page) -> String {
    let mut all = vec![NATION, MOTTO, BULLET, ":", &page.dated];
    all.extend(page.issuer.iter().map(String::as_str));
    all.extend(page.tracking_url.as_deref());
    for b in &page.blocks {
        match b {
            Block::Title(t) | Block::Centred(t) | Block::Text(t) | Block::Item(t) => all.push(t),
            Block::Field { label, value } => all.extend([label.as_str(), value]),
            Block::Table { rows, .. } => all.extend(rows.iter().flatten().map(String::as_str)),
        }
    }
    all.concat().nfc().collect()
}

/// `full` (read from `bytes`) cut down to the glyphs of `text`: the PDF
/// embeds kilobytes, not the face's 700 KB. The subset keeps a Unicode
/// cmap, so it is drawn and measured like the whole font.
fn subset(full: &ParsedFont, bytes: &[u8], text: &str) -> Option<ParsedFont> {
    use allsorts::binary::read::ReadScope;
    use allsorts::font_data::FontData;
    use allsorts::subset::{subset, CmapTarget, SubsetProfile};
    // .notdef first, then each glyph once.
    let mut ids: Vec<u16> = text
        .chars()
        .filter_map(|c| full.lookup_glyph_index(c as u32))
        .filter(|g| *g != 0)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.insert(0, 0);
    let font = ReadScope::new(bytes).read::<FontData<'_>>().ok()?;
    let provider = font.table_provider(0).ok()?;
    let cut = subset(&provider, &ids, &SubsetProfile::Pdf, CmapTarget::Unicode).ok()?;
    ParsedFont::from_bytes(&cut, 0, &mut Vec::new())
}

/// Writes top to bottom; `y` is millimetres from the top of the page.
struct Pen<'f> {
    regular: (FontId, &'f ParsedFont),
    bold: (FontId, &'f ParsedFont),
    ops: Vec<Op>,
    pages: Vec<PdfPage>,
    y: f32,
}

/// Where a line goes across its box.
#[derive(Clone, Copy)]
enum Align {
    Left,
    Centre,
}

/// The width of `text` in millimetres at `size` points.
fn text_width(font: &ParsedFont, size: f32, text: &str) -> f32 {
    let units: u32 = text
        .chars()
        .map(|c| {
            let gid = font.lookup_glyph_index(c as u32).unwrap_or(0);
            u32::from(font.get_glyph_width(gid).unwrap_or(0))
        })
        .sum();
    units as f32 / f32::from(font.units_per_em.max(1)) * size / PT_PER_MM
}

/// `text` broken at spaces into lines no wider than `width` mm (a word
/// wider than that gets a line of its own).
fn wrap(font: &ParsedFont, size: f32, width: f32, text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if line.is_empty() || text_width(font, size, &candidate) <= width {
            line = candidate;
        } else {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Line height for a font size, in millimetres.
fn leading(size: f32) -> f32 {
    size * 1.35 / PT_PER_MM
}

impl Pen<'_> {
    fn font(&self, bold: bool) -> &ParsedFont {
        if bold {
            self.bold.1
        } else {
            self.regular.1
        }
    }

    /// One line of text with its baseline `size` below `y`, in the box
    /// `[x, x + width]`.
    fn line(&mut self, x: f32, width: f32, size: f32, bold: bool, align: Align, text: &str) {
        let x = match align {
            Align::Left => x,
            Align::Centre => x + (width - text_width(self.font(bold), size, text)).max(0.0) / 2.0,
        };
        let font = if bold { &self.bold.0 } else { &self.regular.0 };
        let baseline = HEIGHT - self.y - size / PT_PER_MM;
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::External(font.clone()),
                size: Pt(size),
            },
            Op::SetTextCursor {
                pos: Point::new(Mm(x), Mm(baseline)),
            },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_string())],
            },
            Op::EndTextSection,
        ]);
    }

    /// A wrapped paragraph in the box `[x, x + width]`, moving `y` down.
    fn paragraph(&mut self, x: f32, width: f32, size: f32, bold: bool, align: Align, text: &str) {
        let text: String = text.nfc().collect();
        for l in wrap(self.font(bold), size, width, &text) {
            self.room(leading(size));
            self.line(x, width, size, bold, align, &l);
            self.y += leading(size);
        }
    }

    /// Starts a new page unless `height` mm still fit on this one.
    fn room(&mut self, height: f32) {
        if self.y + height > HEIGHT - BOTTOM {
            let ops = std::mem::take(&mut self.ops);
            self.pages.push(PdfPage::new(Mm(WIDTH), Mm(HEIGHT), ops));
            self.y = TOP;
        }
    }

    fn finish(mut self) -> Vec<PdfPage> {
        let ops = std::mem::take(&mut self.ops);
        self.pages.push(PdfPage::new(Mm(WIDTH), Mm(HEIGHT), ops));
        self.pages
    }

    fn rect(&mut self, x: f32, top: f32, width: f32, height: f32, mode: PaintMode) {
        self.ops.push(Op::DrawRectangle {
            rectangle: Rect {
                x: Mm(x).into(),
                y: Mm(HEIGHT - top - height).into(),
                width: Mm(width).into(),
                height: Mm(height).into(),
                mode: Some(mode),
                winding_order: None,
            },
        });
    }

    /// The issuer on the left (the agency above, then the issuing one in
    /// bold), the national motto on the right, then the date line.
    fn header(&mut self, page: &Page) {
        let (col, left_x, right_x) = (85.0, LEFT - 5.0, WIDTH - RIGHT - 85.0);
        let top = self.y;
        let last = page.issuer.len().saturating_sub(1);
        for (i, name) in page.issuer.iter().enumerate() {
            self.paragraph(left_x, col, 10.0, i == last, Align::Centre, name);
        }
        let left_bottom = self.y;
        self.y = top;
        self.paragraph(right_x, col, 10.0, true, Align::Centre, NATION);
        self.paragraph(right_x, col, 10.5, true, Align::Centre, MOTTO);
        self.y = self.y.max(left_bottom) + 3.0;
        self.paragraph(right_x, col, 10.0, false, Align::Centre, &page.dated);
        self.y += 4.0;
    }

    fn block(&mut self, block: &Block) {
        let width = WIDTH - LEFT - RIGHT;
        match block {
            Block::Title(t) => {
                self.y += 2.0;
                self.paragraph(LEFT, width, 13.0, true, Align::Centre, t);
                self.y += 3.0;
            }
            Block::Centred(t) => self.paragraph(LEFT, width, 10.0, false, Align::Centre, t),
            Block::Text(t) => self.paragraph(LEFT, width, 11.0, false, Align::Left, t),
            Block::Field { label, value } => {
                let label = format!("{label}:");
                let label_width = text_width(self.bold.1, 11.0, &label) + 2.0;
                let value: String = value.nfc().collect();
                let lines = wrap(self.regular.1, 11.0, width - label_width, &value);
                self.room(leading(11.0));
                self.line(LEFT, width, 11.0, true, Align::Left, &label);
                for l in lines {
                    self.room(leading(11.0));
                    self.line(LEFT + label_width, width, 11.0, false, Align::Left, &l);
                    self.y += leading(11.0);
                }
            }
            Block::Item(t) => {
                self.room(leading(11.0));
                self.line(LEFT + 4.0, width, 11.0, false, Align::Left, BULLET);
                self.paragraph(LEFT + 8.0, width - 8.0, 11.0, false, Align::Left, t);
            }
            Block::Table { widths, rows } => self.table(widths, rows),
        }
    }

    /// Ruled cells, the header row in bold, each row as tall as its
    /// tallest cell.
    fn table(&mut self, widths: &[f32], rows: &[Vec<String>]) {
        let (size, pad) = (8.0, 1.0);
        let total = WIDTH - LEFT - RIGHT;
        self.y += 2.0;
        for (r, row) in rows.iter().enumerate() {
            let bold = r == 0;
            let cells: Vec<(f32, Vec<String>)> = row
                .iter()
                .zip(widths)
                .map(|(text, w)| {
                    let text: String = text.nfc().collect();
                    let w = total * w;
                    (w, wrap(self.font(bold), size, w - 2.0 * pad, &text))
                })
                .collect();
            let tallest = cells.iter().map(|(_, l)| l.len()).max().unwrap_or(1);
            let height = tallest as f32 * leading(size) + 2.0 * pad;
            self.room(height);
            let top = self.y;
            let mut x = LEFT;
            for (w, lines) in cells {
                self.rect(x, top, w, height, PaintMode::Stroke);
                self.y = top + pad;
                for l in &lines {
                    self.line(x + pad, w, size, bold, Align::Left, l);
                    self.y += leading(size);
                }
                x += w;
            }
            self.y = top + height;
        }
        self.y += 3.0;
    }

    /// The QR code of `url` (0.7 mm modules, a 4-module quiet zone), the
    /// link printed under it.
    fn qr(&mut self, url: &str) -> Result<(), AppError> {
        let code = qrcode::QrCode::new(url.as_bytes()).map_err(AppError::internal)?;
        let n = code.width();
        let module = 0.7;
        let side = (n as f32 + 8.0) * module;
        self.room(side + leading(9.0) + 2.0);
        let (x0, y0) = (LEFT, self.y);
        for (i, colour) in code.to_colors().into_iter().enumerate() {
            if colour == qrcode::Color::Dark {
                let (col, row) = ((i % n) as f32, (i / n) as f32);
                self.rect(
                    x0 + (col + 4.0) * module,
                    y0 + (row + 4.0) * module,
                    module,
                    module,
                    PaintMode::Fill,
                );
            }
        }
        self.y = y0 + side;
        self.paragraph(LEFT, WIDTH - LEFT - RIGHT, 9.0, false, Align::Left, url);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn wrapping_keeps_every_word_and_each_line_within_the_width() {
        let (font, _) = FONTS.as_ref().unwrap();
        let text = "Giấy đề nghị cấp giấy phép xây dựng theo mẫu của Bộ Xây dựng";
        let lines = wrap(font, 11.0, 40.0, text);
        assert!(lines.len() > 1);
        assert_eq!(lines.join(" "), text);
        assert!(lines.iter().all(|l| text_width(font, 11.0, l) <= 40.0));
    }

    #[test]
    fn a_subset_keeps_the_pages_letters_and_little_else() {
        let (regular, _) = FONTS.as_ref().unwrap();
        let text = "Độc lập - Tự do - Hạnh phúc";
        let cut = subset(regular, REGULAR, text).unwrap();
        for c in text.chars() {
            assert!(
                cut.lookup_glyph_index(c as u32).is_some_and(|g| g != 0),
                "{c}"
            );
        }
        assert!(cut.lookup_glyph_index('Z' as u32).is_none_or(|g| g == 0));
        assert!(
            cut.original_bytes.len() < 50_000,
            "{}",
            cut.original_bytes.len()
        );
    }

    #[test]
    fn vietnamese_letters_have_glyphs_in_the_embedded_font() {
        let (regular, bold) = FONTS.as_ref().unwrap();
        for font in [regular, bold] {
            for c in "ỦY BAN NHÂN DÂN ĐỘC LẬP ữ ặ ỹ ợ ẫ"
                .chars()
                .filter(|c| *c != ' ')
            {
                assert!(
                    font.lookup_glyph_index(c as u32).is_some_and(|g| g != 0),
                    "{c}"
                );
            }
        }
    }
}
