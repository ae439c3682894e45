/// Distinct colours for categories (cell types, series, classes).
///
/// The first eight are the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"),
/// ordered so that the first few stay apart for deuteranopes and protanopes and stand out on
/// white; yellow comes late because it is faint on white. Eight more from Paul Tol's "muted"
/// scheme follow. Beyond 16 categories colours repeat (``color(_:)`` cycles); plots with that
/// many categories should rely on labels or tooltips rather than colour.
public enum CategoricalPalette {
    /// The 16 colours in order of use.
    public static let colors: [RGBColor] = [
        0x0072B2,  // blue
        0xE69F00,  // orange
        0x009E73,  // bluish green
        0xD55E00,  // vermillion
        0xCC79A7,  // reddish purple
        0x56B4E9,  // sky blue
        0x000000,  // black
        0xF0E442,  // yellow
        0x882255,  // wine
        0x117733,  // dark green
        0x332288,  // indigo
        0x999933,  // olive
        0xCC6677,  // rose
        0x44AA99,  // teal
        0xDDCC77,  // sand
        0x888888,  // grey
    ].map { RGBColor(hex: $0) }

    /// The colour of category `index` (0-based), cycling after 16.
    public static func color(_ index: Int) -> RGBColor {
        let n = colors.count
        return colors[((index % n) + n) % n]
    }
}
