import CellSentences
import Foundation
import Prompts
import SingleCell

/// Which cells of an input a task runs on: those of one split of a `splits.json` (so a model
/// is evaluated on cells it never saw), and those whose columns have given values.
public struct CellSelection: Sendable {
    /// Keep cells assigned to `split` in this plan.
    public var splits: SplitPlan?
    public var split: String?
    /// Keep cells whose column has the value (all conditions must hold).
    public var conditions: [(column: String, value: String)] = []

    public init() {}

    /// Parses `column=value`.
    public static func condition(_ text: String) throws -> (column: String, value: String) {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
            throw DataError("'\(text)' is not column=value")
        }
        return (String(text[..<eq]).trimmingCharacters(in: .whitespaces), String(text[text.index(after: eq)...]).trimmingCharacters(in: .whitespaces))
    }

    public var isEmpty: Bool { split == nil && conditions.isEmpty }

    /// Whether the cell named `name`, whose column values `value` gives, is selected (the
    /// checks of ``apply(to:)`` are the caller's, e.g. ``validate(columns:)``).
    public func keeps(name: String, value: (String) -> String?) -> Bool {
        if let split, let plan = splits, plan.split(of: name) != split { return false }
        return conditions.allSatisfy { value($0.column) == $0.value }
    }

    /// Errors naming a condition's unknown column or an unknown split, for inputs read as a
    /// stream (``apply(to:)`` checks its table itself).
    public func validate(columns: [String], input: String) throws {
        for (column, _) in conditions where !columns.contains(column) {
            throw FileError(input, "has no column '\(column)'; columns: \(columns.joined(separator: ", "))")
        }
        if let split, !SplitPlan.splitNames.contains(split) {
            throw DataError("unknown split '\(split)'; splits: \(SplitPlan.splitNames.joined(separator: ", "))")
        }
    }

    /// The indices of the selected cells, in input order. Errors name an unknown column, an
    /// unknown split or a selection that keeps nothing.
    public func apply(to table: CellTable) throws -> [Int] {
        for (column, _) in conditions where !table.fieldNames.contains(column) {
            throw DataError("the input has no column '\(column)'; columns: \(table.fieldNames.joined(separator: ", "))")
        }
        if let split, !SplitPlan.splitNames.contains(split) {
            throw DataError("unknown split '\(split)'; splits: \(SplitPlan.splitNames.joined(separator: ", "))")
        }
        let kept = table.cells.indices.filter { i in
            let cell = table.cells[i]
            return keeps(name: cell.name) { cell.fields[$0] }
        }
        guard !kept.isEmpty else {
            var what: [String] = []
            if let split { what.append("split '\(split)'") }
            what += conditions.map { "\($0.column)=\($0.value)" }
            throw DataError("no input cell matches \(what.joined(separator: " and ")) (of \(table.cells.count) cells)")
        }
        return kept
    }
}
