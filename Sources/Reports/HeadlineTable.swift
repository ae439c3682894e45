import Evaluation
import Foundation

/// Headline figures laid out as a table with one row per (figure, reference): the model's
/// value on the figure's first row, then each reference with "model - reference" and whether
/// the model beats it (a floor) or how much of it it reaches (a ceiling). The same rows go to
/// the terminal and to the page, so both say the same thing.
public enum HeadlineTable {
    /// Column names.
    public static let columns = ["figure", "model", "reference", "reference value", "model - reference", "verdict"]

    /// The cells of every row, as text.
    public static func rows(_ figures: [HeadlineFigure]) -> [[String]] {
        var rows: [[String]] = []
        for f in figures {
            guard !f.references.isEmpty else {
                rows.append([f.name, f.format(f.value), "-", "", "", ""])
                continue
            }
            for (i, r) in f.references.enumerated() {
                // The figure and its value once, on the first row; the references below it.
                rows.append([i == 0 ? f.name : "", i == 0 ? f.format(f.value) : "", r.name, f.format(r.value),
                             f.difference(from: r), f.verdict(against: r)])
            }
        }
        return rows
    }

    /// Plain-text lines for a terminal: a header, then the rows, columns padded to line up.
    public static func lines(_ figures: [HeadlineFigure]) -> [String] {
        let all = [columns] + rows(figures)
        let widths = columns.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
        return all.map { row in
            row.indices.map { c in c == row.count - 1 ? row[c] : row[c].padding(toLength: widths[c], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingTrailingSpaces()
        }
    }

    /// The table of the page.
    public static func reportTable(_ figures: [HeadlineFigure], id: String, caption: String? = nil) -> ReportTable {
        ReportTable(columns: columns, rows: rows(figures).map { $0.map { ReportValue.text($0) } }, caption: caption, id: id)
    }
}
