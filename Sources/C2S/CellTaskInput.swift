import Foundation
import Prompts
import SingleCell

/// Where the cells of a per-cell task (annotate, generate from cells, embed, perturb) come from
/// and which of them it runs on: the input as the user named it, how it is read, and the
/// selection (one split of a `splits.json`, cells with given column values).
public struct CellTaskInput: Sendable {
    /// A sentence dataset (folder or `cells.jsonl`) or a count matrix.
    public var path: String
    public var options = CellInputOptions()
    /// A `splits.json` from `c2s prompts`, with `split`: only that split's cells.
    public var splitsFile: String?
    public var split: String?
    /// Only cells whose column has the value (all must hold).
    public var conditions: [(column: String, value: String)] = []

    public init(path: String) { self.path = path }

    /// The selection these settings describe (reads the splits file).
    public func selection() throws -> CellSelection {
        var s = CellSelection()
        if let splitsFile { s.splits = try SplitPlan.read(path: splitsFile) }
        s.split = split
        s.conditions = conditions
        return s
    }

    /// What of the input changes a run's results, for resuming (`ChunkStore` settings).
    public var identity: [String: String] {
        let matrix: String
        switch options.read.matrix {
        case .x: matrix = "X"
        case .raw: matrix = "raw"
        case .layer(let name): matrix = name
        }
        return ["input": FileIdentity.of(path), "layer": matrix, "gene_column": options.read.geneColumn ?? "",
                "apply_filters": String(options.applyFilters), "splits": splitsFile.map(FileIdentity.of) ?? "", "split": split ?? "",
                "where": conditions.map { "\($0.column)=\($0.value)" }.joined(separator: "&")]
    }

    /// The input opened for `model` (a count matrix converted as its training data was, into
    /// `workFolder`), the selected cells' indices, and warnings for the user: cells the training
    /// filters dropped, and a poor overlap between the input's genes and the model's vocabulary.
    /// Each cell keeps its first `genesRead` genes (default `topGenes`, the genes prompts show).
    public func open(model: C2SModel, topGenes: Int, genesRead: Int? = nil, workFolder: String,
                     progress: ((String, Int, Int) -> Void)? = nil) throws -> (cells: CellInput, selected: [Int], warnings: [String]) {
        let cells = try CellInput.open(path, model: model, maxGenes: max(topGenes, genesRead ?? topGenes), workFolder: workFolder, options: options, progress: progress)
        let selected = try selection().apply(to: cells.table)
        var warnings: [String] = []
        if cells.droppedCells > 0 { warnings.append("the training data's filters dropped \(cells.droppedCells) input cell(s); they get no result") }
        if let vocabulary = model.sentences?.genes {
            let overlap = GeneOverlap(cells: selected.map { cells.table.cells[$0] }, topK: topGenes, inputGenes: cells.genes,
                                      vocabulary: vocabulary, measureWords: cells.convertedTo == nil)
            if let warning = overlap.warning { warnings.append(warning) }
        }
        return (cells, selected, warnings)
    }
}

/// How a long per-cell run is cut into chunks saved as they finish, and resumed.
public struct ChunkSettings: Sendable {
    /// Cells per saved chunk.
    public var chunkSize = 64
    /// Continue an interrupted run with the same settings, skipping its finished chunks.
    public var resume = false
    /// Replace the output (and discard an interrupted run's chunks).
    public var overwrite = false
    /// Stop with an error after computing this many chunks, as an interruption would (tests).
    public var interruptAfter: Int?

    public init() {}

    /// The chunked run of `count` items in `store`.
    public func run(_ store: ChunkStore, count: Int) -> ChunkedRun {
        var r = ChunkedRun(store: store, count: count, chunkSize: chunkSize)
        r.interruptAfter = interruptAfter
        return r
    }
}

/// A file's identity for resuming: path, size and modification time (a folder: its files').
public enum FileIdentity {
    public static func of(_ path: String) -> String {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir) else { return path + " (missing)" }
        let files = isDir.boolValue ? ((try? fm.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 } : [path]
        let parts = files.compactMap { file -> String? in
            guard let a = try? fm.attributesOfItem(atPath: file), (a[.type] as? FileAttributeType) == .typeRegular else { return nil }
            let size = (a[.size] as? NSNumber)?.int64Value ?? 0
            let modified = (a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return "\((file as NSString).lastPathComponent):\(size):\(Int64(modified))"
        }
        return URL(fileURLWithPath: path).standardizedFileURL.path + " [" + parts.joined(separator: ",") + "]"
    }
}
