import CellSentences
import Foundation
import Prompts
import SingleCell

/// What `c2s reconstruct` turns back into expression: a sentence dataset folder, or a file of
/// sentences read with another dataset's vocabulary and fitted inverse transform, optionally
/// only some of its cells.
public struct ReconstructionWorkflowSettings: Sendable {
    /// A sentence dataset folder, or a JSONL / text file of sentences.
    public var input: String
    /// The .h5ad file to write.
    public var output: String
    /// The sentence dataset giving vocabulary and inverse transform when `input` is a file.
    public var dataset: String?
    /// How sentences are read and written (`keep` is set from the selection below).
    public var options = ReconstructionOptions()
    /// A splits.json and the split of it to keep (both or neither).
    public var splits: String?
    public var split: String?
    /// Only cells whose column has this value (all must hold).
    public var conditions: [(column: String, value: String)] = []

    public init(input: String, output: String) {
        self.input = input
        self.output = output
    }
}

/// `c2s reconstruct`: finds whether the input is a dataset folder or a sentence file, loads
/// the dataset's vocabulary and inverse transform, selects cells and runs
/// ``SentenceReconstruction``.
public enum ReconstructionWorkflow {
    /// Errors name the file: a sentence file without a dataset, a missing input, a selection
    /// naming a column the dataset lacks.
    public static func run(_ s: ReconstructionWorkflowSettings) throws -> ReconstructionSummary {
        var isDir: ObjCBool = false
        let inputIsFolder = FileManager.default.fileExists(atPath: s.input, isDirectory: &isDir) && isDir.boolValue
        guard inputIsFolder || s.dataset != nil else {
            throw FileError(s.input, "a sentence file needs --dataset DIR to give the vocabulary and the inverse transform")
        }
        let data = try SentenceDataset(folder: inputIsFolder ? s.input : s.dataset!)
        let model = try data.model()
        var options = s.options
        let file = inputIsFolder ? data.cellsPath : s.input
        guard FileManager.default.fileExists(atPath: file) else { throw FileError(file, "no such file") }
        var selection = CellSelection()
        if let splits = s.splits { selection.splits = try SplitPlan.read(path: splits) }
        selection.split = s.split
        selection.conditions = s.conditions
        if !selection.isEmpty {
            if inputIsFolder { try selection.validate(columns: data.manifest.obsColumns, input: s.input) }
            let lines = SelectedLines(selection)
            options.keep = { lines.keeps($0) }
        }
        return try SentenceReconstruction.run(input: file, vocabulary: data.genes, vocabularyCounts: data.geneCells,
                                              model: model, output: s.output, options: options)
    }
}

/// A ``CellSelection`` applied to the fields of a JSON line (`cell_name` and the obs columns).
private struct SelectedLines: Sendable {
    let selection: CellSelection
    init(_ selection: CellSelection) { self.selection = selection }

    @Sendable func keeps(_ fields: [(String, JSONScalar)]) -> Bool {
        let name = fields.first { $0.0 == "cell_name" }.flatMap { $0.1.fieldText } ?? ""
        return selection.keeps(name: name) { column in fields.first { $0.0 == column }.flatMap { $0.1.fieldText } }
    }
}
