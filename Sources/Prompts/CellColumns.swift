import CellSentences
import Foundation
import Mechanics
import SingleCell

/// Looking up cell metadata columns by name.
enum CellColumns {
    /// The column that holds a cell's name.
    static let cellName = "cell_name"

    /// A cell's value in `column` (`cell_name` is the cell's name), or nil when missing.
    @inline(__always)
    static func value(_ cell: CellRecord, _ column: String) -> String? {
        column == cellName ? cell.name : cell.fields[column]
    }

    /// The columns any cell has, plus `cell_name`, sorted.
    static func available(_ cells: [CellRecord]) -> [String] {
        var names: Set<String> = [cellName]
        for cell in cells { names.formUnion(cell.fields.keys) }
        return names.sorted()
    }

    /// Throws `DataError` for a column no cell has, listing the available fields.
    static func require(_ columns: [String], in cells: [CellRecord], role: String) throws {
        guard !columns.isEmpty else { return }
        let names = available(cells)
        for column in columns where !names.contains(column) {
            throw DataError("unknown \(role) column '\(column)'; available fields: \(names.joined(separator: ", "))")
        }
    }
}
