import Foundation
import Prompts
import SingleCell

/// `c2s.json` in a model folder written by `c2s train`: what later C2S tasks (annotation,
/// generation, evaluation) need to use the model the way it was trained.
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
/// from. `label_column` (when given to `c2s train`) names the `obs` column those labels came
/// from, so that generated cells carry their condition under the same name. `sentence_dataset` is present when the sentence dataset the prompts came from was
/// given; its `manifest.json` (conversion settings, inverse transform) and `vocab.tsv` are
/// then copied into the model folder under those names, so the model folder can stand in for
/// the dataset when generated sentences are turned back into expression.
public struct C2SModelInfo: Sendable, Equatable {
    public static let fileName = "c2s.json"

    public var tasks: [String]
    public var labels: [String: [String]]
    public var examples: [String: Int]
    public var lossOn: LossTarget
    public var maxLength: Int
    public var sentenceDatasetPath: String?
    public var truncation: TruncationReport
    /// The `obs` column the labels came from (nil: not recorded).
    public var labelColumn: String?
    /// The organism the training prompts named: the sentence dataset's (its manifest.json),
    /// so that annotate, generate-cells, embed and predict-perturbation name the same one by
    /// default (nil: not recorded; they then say Homo sapiens).
    public var organism: String?
    /// `prompt_format`: the published checkpoint format of the training prompts (nil: c2s's
    /// own, not written), so that the task commands pick that format for this model.
    public var promptFormat: String?
    /// `separator`: what joined input and response in training ("" when they were tokenized
    /// apart, as for a published checkpoint's format).
    public var separator = PromptFormat.separator

    /// Gathers tasks and labels from the training records.
    public init(train: [PromptRecord], examples: [String: Int], lossOn: LossTarget, maxLength: Int,
                sentenceDatasetPath: String?, truncation: TruncationReport) {
        tasks = Array(Set(train.map(\.task))).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var labels: [String: Set<String>] = [:]
        for r in train where Self.isLabelTask(r.task) { labels[r.task, default: []].insert(r.response) }
        self.labels = labels.mapValues { $0.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } }
        self.examples = examples
        self.lossOn = lossOn
        self.maxLength = maxLength
        self.sentenceDatasetPath = sentenceDatasetPath
        self.truncation = truncation
    }

    /// Adds, for each task conditioned on a label (its every prompt names `{label}` and its
    /// response is not the label: cell type generation), the labels of the training cells
    /// under `cellLabel` (a cell's value in the label column), so that `generate-cells
    /// --every-label` knows what a generation-only model learned. Tasks that already have
    /// labels keep them.
    public mutating func addConditionLabels(train: [PromptRecord], cellLabel: (String) -> String?) {
        var found: [String: Set<String>] = [:]
        for r in train where labels[r.task] == nil && Self.isConditionedTask(r.task) {
            for name in r.cellNames { if let l = cellLabel(name), !l.isEmpty { found[r.task, default: []].insert(l) } }
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

    public func json() throws -> Data {
        var object: [String: Any] = [
            "format": "c2s-model", "version": 1,
            "separator": separator, "eos_appended": true, "loss_on": lossOn.rawValue,
            "max_length": maxLength, "tasks": tasks, "labels": labels, "examples": examples,
            "truncation": [
                "examples": truncation.examples, "truncated_by_sentence": truncation.truncatedBySentence,
                "dropped_genes": truncation.droppedGenes, "truncated_by_tokens": truncation.truncatedByTokens,
                "dropped_tokens": truncation.droppedTokens, "longest_tokens": truncation.longest,
                "rule": "cell sentences lose their last (lowest-ranked) genes using input_sentence_spans; without spans, tokens are dropped from the start of the input; responses are never cut",
            ] as [String: Any],
        ]
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
