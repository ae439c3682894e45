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
/// - `top_k` (or `top_k_genes`, `num_genes`): genes per cell in the training prompts;
/// - `organism`, `label_column`, `max_length` (tokens per training example);
/// - `prompt_format`: the prompt profile of its training prompts (`c2s formats`);
/// - `sentence_dataset`: `{"path", "manifest", "vocab"}` as `c2s train --sentences` writes it
///   (copies of the dataset's `manifest.json` and `vocab.tsv` beside `c2s.json`, and the
///   dataset's original path), or `sentences`: a folder (relative to the model) holding them.
///   The copies beside `c2s.json` are used first, then the named folder, then a `sentences/`
///   subfolder, then the original path.
public struct C2SMetadata: Sendable, Equatable {
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
    }

    /// The file name in a model folder.
    public static let fileName = "c2s.json"

    /// Reads `c2s.json` of `folder`; nil when the folder has none.
    public static func read(folder: String) throws -> C2SMetadata? {
        let path = (folder as NSString).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard let root = try? JSONSerialization.jsonObject(with: data), let object = root as? [String: Any] else {
            throw FileError(path, "not a JSON object; expected the C2S metadata written by 'c2s train'")
        }
        return try parse(object, path: path)
    }

    static func parse(_ object: [String: Any], path: String) throws -> C2SMetadata {
        var m = C2SMetadata(path: path)
        if let tasks = object["tasks"] {
            if let dict = tasks as? [String: Any] {
                // {"task": count or {...}}
                m.tasks = dict.keys.sorted()
                for (name, value) in dict {
                    if let o = value as? [String: Any], let labels = strings(o["labels"]) { m.labels[name] = labels.sorted() }
                }
            } else if let list = tasks as? [Any] {
                for item in list {
                    if let name = item as? String {
                        m.tasks.append(name)
                    } else if let o = item as? [String: Any], let name = (o["name"] ?? o["task"]) as? String {
                        m.tasks.append(name)
                        if let labels = strings(o["labels"]) { m.labels[name] = labels.sorted() }
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
            if let dict = value as? [String: Any] {
                for (task, list) in dict {
                    guard let labels = strings(list) else { throw FileError(path, "\"\(key)\".\"\(task)\" must be a list of strings") }
                    m.labels[task] = labels.sorted()
                }
            } else if let labels = strings(value) {
                for task in m.tasks.isEmpty ? ["cell_type_prediction"] : m.tasks { m.labels[task] = labels.sorted() }
            } else {
                throw FileError(path, "\"\(key)\" must map task names to lists of labels")
            }
        }
        if let s = object["separator"] as? String { m.separator = s }
        for key in ["top_k", "top_k_genes", "num_genes"] {
            if let n = object[key] as? NSNumber, n.intValue > 0 { m.topGenes = n.intValue; break }
        }
        m.organism = object["organism"] as? String
        m.promptFormat = object["prompt_format"] as? String
        m.labelColumn = object["label_column"] as? String
        m.sentencesFolder = object["sentences"] as? String
        if let d = object["sentence_dataset"] as? [String: Any] { m.sentenceDatasetPath = d["path"] as? String }
        if let n = object["max_length"] as? NSNumber, n.intValue > 0 { m.maxLength = n.intValue }
        m.lossOn = (object["loss_on"] as? String).flatMap(LossTarget.init(rawValue:))
        if let counts = object["examples"] as? [String: Any] {
            for (split, n) in counts { if let n = n as? NSNumber { m.examples[split] = n.intValue } }
        }
        return m
    }

    private static func strings(_ value: Any?) -> [String]? {
        guard let list = value as? [Any] else { return nil }
        let s = list.compactMap { $0 as? String }
        return s.count == list.count ? s : nil
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

    /// The file's text, as `c2s train` writes it.
    public func json() throws -> Data {
        var object: [String: Any] = [
            "format": "c2s-model", "version": 1,
            "separator": separator, "eos_appended": true, "loss_on": (lossOn ?? .response).rawValue,
            "tasks": tasks, "labels": labels, "examples": examples,
        ]
        if let maxLength { object["max_length"] = maxLength }
        if let truncation {
            object["truncation"] = [
                "examples": truncation.examples, "truncated_by_sentence": truncation.truncatedBySentence,
                "dropped_genes": truncation.droppedGenes, "truncated_by_tokens": truncation.truncatedByTokens,
                "dropped_tokens": truncation.droppedTokens, "longest_tokens": truncation.longest,
                "rule": "cell sentences lose their last (lowest-ranked) genes using input_sentence_spans; without spans, tokens are dropped from the start of the input; responses are never cut",
            ] as [String: Any]
        }
        if let labelColumn { object["label_column"] = labelColumn }
        if let organism { object["organism"] = organism }
        if let promptFormat { object["prompt_format"] = promptFormat }
        if let sentenceDatasetPath {
            object["sentence_dataset"] = ["path": sentenceDatasetPath, "manifest": "manifest.json", "vocab": "vocab.tsv"]
        }
        var data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        data.append(0x0A)
        return data
    }
}
