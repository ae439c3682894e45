import Foundation
import SingleCell

/// What a C2S model folder says about its training, from `c2s.json` (written by `c2s train`).
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
    /// The file the metadata came from.
    public var path: String
    public var tasks: [String] = []
    /// Labels seen in training, per task (sorted).
    public var labels: [String: [String]] = [:]
    public var separator = " "
    public var topGenes: Int?
    public var organism: String?
    /// `prompt_format`: the prompt profile the model was trained with (`PromptProfiles`).
    public var promptFormat: String?
    public var labelColumn: String?
    /// The `sentences` entry, as written.
    public var sentencesFolder: String?
    /// `sentence_dataset.path`: where the training sentence dataset was.
    public var sentenceDatasetPath: String?
    public var maxLength: Int?

    public init(path: String) { self.path = path }

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
}
