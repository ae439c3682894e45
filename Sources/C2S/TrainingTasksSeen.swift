import Prompts

/// What `c2s.json` records about the training records, gathered one record at a time so that
/// a prompt file is never held whole: the tasks, the labels of label tasks (their responses),
/// and the cells of label-conditioned tasks (whose labels are looked up in the sentence
/// dataset afterwards). Memory grows with distinct tasks, labels and cells, not with examples.
public struct TrainingTasksSeen: Sendable, Codable, Equatable {
    public private(set) var tasks: Set<String> = []
    public private(set) var labels: [String: Set<String>] = [:]
    /// Cell names per conditioned task (gathered only when asked for).
    public private(set) var conditionedCells: [String: Set<String>] = [:]
    /// Every training cell's name (gathered only when asked for: gene-head initialisation).
    public private(set) var cellNames: Set<String> = []
    /// The most genes any input showed of one cell (words in an `input_sentence_spans` range);
    /// 0 when no record marks its sentences.
    public private(set) var genesPerCell = 0
    let gatherConditionedCells: Bool
    let gatherCellNames: Bool

    public init(conditionedCells: Bool = false, cellNames: Bool = false) {
        gatherConditionedCells = conditionedCells
        gatherCellNames = cellNames
    }

    /// Adds what `other` saw (another part of the same file, gathered with the same settings).
    public mutating func merge(_ other: TrainingTasksSeen) {
        tasks.formUnion(other.tasks)
        for (task, values) in other.labels { labels[task, default: []].formUnion(values) }
        for (task, names) in other.conditionedCells { conditionedCells[task, default: []].formUnion(names) }
        cellNames.formUnion(other.cellNames)
        genesPerCell = max(genesPerCell, other.genesPerCell)
    }

    public mutating func add(_ r: PromptRecord) {
        tasks.insert(r.task)
        if C2SMetadata.isLabelTask(r.task) { labels[r.task, default: []].insert(r.response) }
        if gatherConditionedCells, C2SMetadata.isConditionedTask(r.task) { conditionedCells[r.task, default: []].formUnion(r.cellNames) }
        if gatherCellNames { cellNames.formUnion(r.cellNames) }
        if let spans = r.sentenceSpans, !spans.isEmpty { genesPerCell = max(genesPerCell, Self.mostWords(r.modelInput, in: spans)) }
    }

    /// The most space-separated words in one of `spans` (code-point offsets into `text`); one
    /// walk of the text up to each span's end (prompts hold one or two spans).
    static func mostWords(_ text: String, in spans: [Range<Int>]) -> Int {
        var most = 0
        for span in spans {
            var offset = 0, words = 0, previousIsSpace = true
            for scalar in text.unicodeScalars {
                if offset >= span.upperBound { break }
                if offset >= span.lowerBound {
                    let space = scalar == " "
                    if !space && previousIsSpace { words += 1 }
                    previousIsSpace = space
                }
                offset += 1
            }
            most = max(most, words)
        }
        return most
    }
}
