import Foundation
import Prompts
import SingleCell

/// `c2s.json` in a model folder: what `c2s train` records about a model's training, and what the
/// C2S tasks (annotation, generation, evaluation) read back to use the model the way it was
/// trained. The one owner of the file: `init(train:...)` gathers it from the training records,
/// `json()` writes it, `read(folder:)` reads it.
///
/// ```json
/// {
///   "format": "c2s-model", "version": 1,
///   "separator": " ", "eos_appended": true, "loss_on": "response",
///   "prompt_format": "cell2sentence",   (only for prompts in a published checkpoint's format)
///   "max_length": 256,
///   "tasks": ["cell_type_prediction"],
///   "examples": {"train": 1600, "validation": 200},
///   "labels": {"cell_type_prediction": ["B", "CD14 Mono", ...]},
///   "label_column": "cell_type",
///   "sentence_dataset": {"path": "...", "manifest": "manifest.json", "vocab": "vocab.tsv"},
///   "truncation": {...}
/// }
/// ```
///
/// `labels` lists, for each task whose response is the label alone (a built-in task whose
/// response template is `{label}`: cell type and tissue prediction), the distinct responses
/// of the training split in code-point order: the classes a constrained decoder may choose
/// from; generation tasks conditioned on a label get the labels of their cells
/// (`addConditionLabels`). `sentence_dataset` is present when the sentence dataset the prompts
/// came from was given; its `manifest.json` (conversion settings, inverse transform) and
/// `vocab.tsv` are then copied into the model folder under those names, so the model folder can
/// stand in for the dataset when generated sentences are turned back into expression.
///
/// Read leniently: every key is optional, and a few spellings are accepted, so that a folder
/// written by an older or newer `c2s train`, or by hand, still works. Keys read:
///
/// - `tasks`: task names (strings), or objects with a `name` (and optionally `labels`);
/// - `labels`: task name -> the sorted labels of its responses (label-response tasks such as
///   `cell_type_prediction`), or one list for all tasks; also read from `label_values`;
/// - `separator`: what joins `model_input` and `response` (default `" "`);
/// - `top_k` (or `top_k_genes`, `num_genes`): genes per cell in the training prompts (`c2s
///   train` writes the most genes any training input showed of one cell);
/// - `organism`, `label_column`, `max_length` (tokens per training example);
/// - `prompt_format`: the prompt profile of its training prompts (`c2s formats`);
/// - `sentence_dataset`: `{"path", "manifest", "vocab"}` as `c2s train --sentences` writes it
///   (copies of the dataset's `manifest.json` and `vocab.tsv` beside `c2s.json`, and the
///   dataset's original path), or `sentences`: a folder (relative to the model) holding them.
///   The copies beside `c2s.json` are used first, then the named folder, then a `sentences/`
///   subfolder, then the original path.
public struct C2SMetadata: Codable, Sendable, Equatable {
    /// The file the metadata came from (`c2s.json` for metadata not yet written).
    public var path: String
    public var tasks: [String] = []
    /// Labels seen in training, per task (sorted).
    public var labels: [String: [String]] = [:]
    /// `separator`: what joined input and response in training ("" when they were tokenized
    /// apart, as for a published checkpoint's format).
    public var separator = PromptFormat.separator
    public var topGenes: Int?
    /// The organism the training prompts named: the sentence dataset's (its manifest.json),
    /// so that annotate, generate-cells, embed and predict-perturbation name the same one by
    /// default (nil: not recorded; they then say Homo sapiens).
    public var organism: String?
    /// `prompt_format`: the prompt profile the model was trained with (`PromptProfiles`; nil:
    /// c2s's own, not written).
    public var promptFormat: String?
    /// The `obs` column the labels came from (nil: not recorded), so that generated cells carry
    /// their condition under the same name.
    public var labelColumn: String?
    /// The `sentences` entry, as written.
    public var sentencesFolder: String?
    /// `sentence_dataset.path`: where the training sentence dataset was.
    public var sentenceDatasetPath: String?
    public var maxLength: Int?
    /// `loss_on`: which tokens took a loss in training.
    public var lossOn: LossTarget?
    /// `examples`: training examples per split.
    public var examples: [String: Int] = [:]
    /// `truncation`: what encoding did to make the training examples fit (written only).
    public var truncation: TruncationReport?

    public init(path: String) { self.path = path }

    /// Gathers tasks and labels from the training records.
    public init(train: [PromptRecord], examples: [String: Int], lossOn: LossTarget, maxLength: Int,
                sentenceDatasetPath: String?, truncation: TruncationReport) {
        var seen = TrainingTasksSeen()
        for r in train { seen.add(r) }
        self.init(seen: seen, examples: examples, lossOn: lossOn, maxLength: maxLength, sentenceDatasetPath: sentenceDatasetPath, truncation: truncation)
    }

    /// From tasks and labels gathered as the training records went by.
    public init(seen: TrainingTasksSeen, examples: [String: Int], lossOn: LossTarget, maxLength: Int,
                sentenceDatasetPath: String?, truncation: TruncationReport) {
        path = Self.fileName
        tasks = seen.tasks.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        self.labels = seen.labels.mapValues { $0.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } }
        self.examples = examples
        self.lossOn = lossOn
        self.maxLength = maxLength
        self.sentenceDatasetPath = sentenceDatasetPath
        self.truncation = truncation
        // What a task command shows per cell by default: the training prompts' count.
        if seen.genesPerCell > 0 { topGenes = seen.genesPerCell }
    }

    /// The file name in a model folder.
    public static let fileName = "c2s.json"

    /// Reads `c2s.json` of `folder`; nil when the folder has none.
    public static func read(folder: String) throws -> C2SMetadata? {
        let path = (folder as NSString).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.userInfo[pathKey] = path
        do {
            return try decoder.decode(C2SMetadata.self, from: data)
        } catch let error as FileError {
            throw error
        } catch {
            throw FileError(path, "not a JSON object; expected the C2S metadata written by 'c2s train'")
        }
    }

    /// Where decoding finds the path of the file it reads (`userInfo`), so that its errors name it.
    static let pathKey = CodingUserInfoKey(rawValue: "c2s.C2SMetadata.path")!

    /// Reads the file leniently (see the type's notes): the object's values as they are, then
    /// each known key in each accepted spelling, ignoring values of another type.
    public init(from decoder: Decoder) throws {
        let path = decoder.userInfo[Self.pathKey] as? String ?? Self.fileName
        let object = try decoder.singleValueContainer().decode([String: LenientJSON].self)
        self = try Self.parse(object, path: path)
    }

    static func parse(_ object: [String: LenientJSON], path: String) throws -> C2SMetadata {
        var m = C2SMetadata(path: path)
        if let tasks = object["tasks"] {
            if case .object(let dict) = tasks {
                // {"task": count or {...}}
                m.tasks = dict.keys.sorted()
                for (name, value) in dict {
                    if case .object(let o) = value, let labels = o["labels"]?.strings { m.labels[name] = labels.sorted() }
                }
            } else if case .array(let list) = tasks {
                for item in list {
                    if let name = item.string {
                        m.tasks.append(name)
                    } else if case .object(let o) = item, let name = (o["name"] ?? o["task"])?.string {
                        m.tasks.append(name)
                        if let labels = o["labels"]?.strings { m.labels[name] = labels.sorted() }
                    } else {
                        throw FileError(path, "\"tasks\" holds \(item); expected task names or objects with a \"name\"")
                    }
                }
            } else {
                throw FileError(path, "\"tasks\" must be a list of task names")
            }
        }
        for key in ["labels", "label_values"] {
            guard let value = object[key] else { continue }
            if case .object(let dict) = value {
                for (task, list) in dict {
                    guard let labels = list.strings else { throw FileError(path, "\"\(key)\".\"\(task)\" must be a list of strings") }
                    m.labels[task] = labels.sorted()
                }
            } else if let labels = value.strings {
                for task in m.tasks.isEmpty ? ["cell_type_prediction"] : m.tasks { m.labels[task] = labels.sorted() }
            } else {
                throw FileError(path, "\"\(key)\" must map task names to lists of labels")
            }
        }
        if let s = object["separator"]?.string { m.separator = s }
        for key in ["top_k", "top_k_genes", "num_genes"] {
            if let n = object[key]?.integer, n > 0 { m.topGenes = n; break }
        }
        m.organism = object["organism"]?.string
        m.promptFormat = object["prompt_format"]?.string
        m.labelColumn = object["label_column"]?.string
        m.sentencesFolder = object["sentences"]?.string
        if case .object(let d) = object["sentence_dataset"] { m.sentenceDatasetPath = d["path"]?.string }
        if let n = object["max_length"]?.integer, n > 0 { m.maxLength = n }
        m.lossOn = object["loss_on"]?.string.flatMap(LossTarget.init(rawValue:))
        if case .object(let counts) = object["examples"] {
            for (split, n) in counts { if let n = n.integer { m.examples[split] = n } }
        }
        return m
    }

    enum CodingKeys: String, CodingKey {
        case format, version, separator, tasks, labels, examples, truncation, organism
        case eosAppended = "eos_appended", lossOn = "loss_on", maxLength = "max_length", labelColumn = "label_column"
        case promptFormat = "prompt_format", sentenceDataset = "sentence_dataset", topK = "top_k"
    }

    /// `truncation` as written.
    struct TruncationRecord: Encodable {
        var report: TruncationReport
        static let rule = "cell sentences lose their last (lowest-ranked) genes using input_sentence_spans; without spans, tokens are dropped from the start of the input; responses are never cut"
        enum CodingKeys: String, CodingKey {
            case examples, rule, truncatedBySentence = "truncated_by_sentence", droppedGenes = "dropped_genes"
            case truncatedByTokens = "truncated_by_tokens", droppedTokens = "dropped_tokens", longest = "longest_tokens"
        }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(report.examples, forKey: .examples)
            try c.encode(report.truncatedBySentence, forKey: .truncatedBySentence)
            try c.encode(report.droppedGenes, forKey: .droppedGenes)
            try c.encode(report.truncatedByTokens, forKey: .truncatedByTokens)
            try c.encode(report.droppedTokens, forKey: .droppedTokens)
            try c.encode(report.longest, forKey: .longest)
            try c.encode(Self.rule, forKey: .rule)
        }
    }

    /// Writes what `c2s train` records (the keys of the type's example; `sentences` and the
    /// other `top_k` spellings are only read).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("c2s-model", forKey: .format)
        try c.encode(1, forKey: .version)
        try c.encode(separator, forKey: .separator)
        try c.encode(true, forKey: .eosAppended)
        try c.encode(lossOn ?? .response, forKey: .lossOn)
        try c.encode(tasks, forKey: .tasks)
        try c.encode(labels, forKey: .labels)
        try c.encode(examples, forKey: .examples)
        try c.encodeIfPresent(maxLength, forKey: .maxLength)
        try c.encodeIfPresent(truncation.map(TruncationRecord.init(report:)), forKey: .truncation)
        try c.encodeIfPresent(labelColumn, forKey: .labelColumn)
        try c.encodeIfPresent(organism, forKey: .organism)
        try c.encodeIfPresent(promptFormat, forKey: .promptFormat)
        try c.encodeIfPresent(topGenes, forKey: .topK)
        if let sentenceDatasetPath {
            try c.encode(["path": sentenceDatasetPath, "manifest": "manifest.json", "vocab": "vocab.tsv"], forKey: .sentenceDataset)
        }
    }

    /// The labels the model learned for `task`; for a task without its own list, every label
    /// the metadata names (conditions of generation tasks are the labels of prediction tasks).
    public func labels(for task: String) -> [String] {
        if let own = labels[task] { return own }
        return Array(Set(labels.values.flatMap { $0 })).sorted()
    }

    /// Adds, for each task conditioned on a label (its every prompt names `{label}` and its
    /// response is not the label: cell type generation), the labels of the training cells
    /// under `cellLabel` (a cell's value in the label column), so that `generate-cells
    /// --every-label` knows what a generation-only model learned. Tasks that already have
    /// labels keep them.
    public mutating func addConditionLabels(train: [PromptRecord], cellLabel: (String) -> String?) {
        var seen = TrainingTasksSeen(conditionedCells: true)
        for r in train { seen.add(r) }
        addConditionLabels(seen: seen, cellLabel: cellLabel)
    }

    /// The same, from the cells of conditioned tasks gathered as the records went by.
    public mutating func addConditionLabels(seen: TrainingTasksSeen, cellLabel: (String) -> String?) {
        var found: [String: Set<String>] = [:]
        for (task, names) in seen.conditionedCells where labels[task] == nil {
            for name in names { if let l = cellLabel(name), !l.isEmpty { found[task, default: []].insert(l) } }
        }
        for (task, set) in found { labels[task] = set.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } }
    }

    /// Whether `task` is a built-in task whose prompts all name a label that its response is not.
    public static func isConditionedTask(_ task: String) -> Bool {
        guard let t = BuiltinTasks.named(task), t.responseTemplate.text != "{label}", !t.inputTemplates.isEmpty else { return false }
        return t.inputTemplates.allSatisfy { $0.text.contains("{label}") }
    }

    /// Whether `task`'s response is its label alone.
    public static func isLabelTask(_ task: String) -> Bool {
        BuiltinTasks.named(task)?.responseTemplate.text == "{label}"
    }

    /// The files of a sentence dataset copied beside the model.
    public static let copiedDatasetFiles = ["manifest.json", "vocab.tsv"]

    /// Checks that `folder` is a sentence dataset whose files can be copied.
    public static func checkSentenceDataset(_ folder: String) throws {
        for name in copiedDatasetFiles {
            let path = (folder as NSString).appendingPathComponent(name)
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw FileError(path, "cannot be read (--sentences names the sentence dataset folder the prompts were made from)")
            }
        }
    }

    /// The file's text, as `c2s train` writes it: pretty, key-sorted JSON and a line break.
    /// Encoded by `encode(to:)`, then laid out by `JSONSerialization`, whose key order
    /// (numeric, ignoring case: "task2" before "task10", "b" beside "B") is that of every
    /// c2s.json written so far; `JSONEncoder`'s `.sortedKeys` orders by code point instead,
    /// which would reorder task names with capitals or numbers.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let object = try JSONSerialization.jsonObject(with: try encoder.encode(self))
        var data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        data.append(0x0A)
        return data
    }
}

/// Any JSON value, for reading `c2s.json` leniently as `JSONSerialization` once did: a key
/// holding another type than expected is ignored rather than an error.
enum LenientJSON: Decodable, Sendable, Equatable, CustomStringConvertible {
    case string(String), integer(Int), real(Double), bool(Bool), null
    case array([LenientJSON]), object([String: LenientJSON])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Int.self) { self = .integer(n) }
        else if let x = try? c.decode(Double.self) { self = .real(x) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([LenientJSON].self) { self = .array(a) }
        else { self = .object(try c.decode([String: LenientJSON].self)) }
    }

    var string: String? { if case .string(let s) = self { s } else { nil } }
    /// A number as an integer, a fraction cut toward zero (as `NSNumber.intValue` did).
    var integer: Int? {
        switch self {
        case .integer(let n): n
        case .real(let x): x.isFinite && abs(x) < 9.2e18 ? Int(x) : nil
        default: nil
        }
    }
    /// A list of strings only (nil if any item is not one).
    var strings: [String]? {
        guard case .array(let list) = self else { return nil }
        let s = list.compactMap(\.string)
        return s.count == list.count ? s : nil
    }

    var description: String {
        switch self {
        case .string(let s): s
        case .integer(let n): "\(n)"
        case .real(let x): "\(x)"
        case .bool(let b): "\(b)"
        case .null: "null"
        case .array(let a): "(" + a.map(\.description).joined(separator: ", ") + ")"
        case .object(let o): "{" + o.keys.sorted().map { "\($0) = \(o[$0]!)" }.joined(separator: "; ") + "}"
        }
    }
}
