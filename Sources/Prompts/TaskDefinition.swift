import Foundation
import SingleCell

/// What a task's examples are made of.
public enum TaskKind: String, Codable, Sendable, CaseIterable {
    /// One cell per example.
    case singleCell = "single_cell"
    /// A group of several cells per example.
    case multiCell = "multi_cell"
    /// A control cell and a perturbed cell of the same type per example.
    case perturbation
}

/// A prompt task: how to turn cells into `(model_input, response)` pairs.
///
/// Each example picks one of `inputTemplates` for the model input and renders
/// `responseTemplate` for the response; the model sees `model_input + " " + response`.
public struct TaskDefinition: Sendable, Equatable {
    /// The task's name, as used on the command line and in the `task` field of examples.
    public var name: String
    public var kind: TaskKind
    /// One line saying what the task teaches.
    public var description: String
    /// Alternative wordings of the model input (same meaning); at least one.
    public var inputTemplates: [PromptTemplate]
    public var responseTemplate: PromptTemplate

    public init(name: String, kind: TaskKind, description: String,
                inputTemplates: [PromptTemplate], responseTemplate: PromptTemplate) {
        self.name = name
        self.kind = kind
        self.description = description
        self.inputTemplates = inputTemplates
        self.responseTemplate = responseTemplate
    }

    /// Standard fields a task of this kind can use; obs columns come on top.
    ///
    /// - `single_cell`: `cell_sentence` (the cell's top-k genes), `num_genes` (how many genes that
    ///   sentence really has), `organism`, `label` (the value of the task's label column),
    ///   `cell_name`.
    /// - `multi_cell`: `cell_sentences` (lines `Cell 1: GENE GENE ...`), `num_cells`, `num_genes`
    ///   (the largest number of genes shown for any cell of the group, so write "up to
    ///   {num_genes} genes per cell"), `organism`, `label` (the group's label, e.g. tissue),
    ///   `text` (free text for the group, e.g. a study abstract).
    /// - `perturbation`: `control_sentence`, `perturbed_sentence`, `perturbation` (its name),
    ///   `num_genes` (genes in the control sentence shown), `organism`, `label` (the cell type
    ///   shared by the pair).
    public static func standardFields(_ kind: TaskKind) -> [String] {
        switch kind {
        case .singleCell:
            return ["cell_sentence", "num_genes", "organism", "label", "cell_name"]
        case .multiCell:
            return ["cell_sentences", "num_cells", "num_genes", "organism", "label", "text"]
        case .perturbation:
            return ["control_sentence", "perturbed_sentence", "perturbation", "num_genes", "organism", "label"]
        }
    }

    /// Whether any template of the task (input or response) has the placeholder `name`.
    public func uses(_ name: String) -> Bool {
        responseTemplate.placeholders.contains(name) || inputTemplates.contains { $0.placeholders.contains(name) }
    }

    /// Whether an input template shows a cell's sentence (`cell_sentence`, `cell_sentences`,
    /// `control_sentence` or `perturbed_sentence`).
    public var inputShowsSentence: Bool {
        let sentences = ["cell_sentence", "cell_sentences", "control_sentence", "perturbed_sentence"]
        return inputTemplates.contains { t in sentences.contains { t.placeholders.contains($0) } }
    }

    /// Checks that the task has input templates and that every placeholder of every template is
    /// one of `available`.
    ///
    /// - Throws: `TemplateError` naming the task, which template (`input template #i`, counted
    ///   from 1, or `response template`), the unknown placeholder (with a likely intended field
    ///   when there is one), and every available field, sorted.
    public func validate(available: Set<String>) throws {
        guard !inputTemplates.isEmpty else {
            throw TemplateError("task '\(name)' has no input templates")
        }
        let templates = inputTemplates.enumerated().map { ("input template #\($0.offset + 1)", $0.element) }
            + [("response template", responseTemplate)]
        for (role, template) in templates {
            for name in template.placeholders where !available.contains(name) {
                var message = "task '\(self.name)', \(role): unknown placeholder {\(name)}"
                if let guess = Self.closest(to: name, in: available) { message += " (did you mean {\(guess)}?)" }
                let fields = available.sorted().joined(separator: ", ")
                message += "; available fields: \(fields.isEmpty ? "(none)" : fields)"
                throw TemplateError(message)
            }
        }
    }

    /// Keys of a task object in a task file.
    static let fileKeys = ["name", "kind", "description", "input_templates", "response_template"]

    /// Loads user-defined tasks from a JSON file.
    ///
    /// The file holds either one task object or `{"tasks": [ ... ]}` with one or more of them.
    /// A task object:
    ///
    /// ```json
    /// {
    ///   "name": "cell_type_question",
    ///   "kind": "single_cell",
    ///   "description": "Asks for the cell type of one cell.",
    ///   "input_templates": [
    ///     "These are the top {num_genes} genes of a {organism} cell, by decreasing expression: {cell_sentence}. What is its cell type?"
    ///   ],
    ///   "response_template": "{label}"
    /// }
    /// ```
    ///
    /// - `name` (required): letters, digits, `_`, `-` and `.`; unique in the file and not the
    ///   name of a built-in task (see `BuiltinTasks`).
    /// - `kind` (required): `single_cell`, `multi_cell` or `perturbation`.
    /// - `description` (optional): one line of text.
    /// - `input_templates` (required): a non-empty list of templates.
    /// - `response_template` (required): one template.
    ///
    /// Templates use `{field}` placeholders and `{{`/`}}` for literal braces; a placeholder must
    /// be one of `available(kind)` (the standard fields of the kind, `standardFields(_:)`, plus
    /// whatever else the caller offers, such as obs columns). Other keys are errors, so a typo
    /// in a key name does not go unnoticed.
    ///
    /// - Throws: `FileError(path, ...)` when the file cannot be read, is not JSON (with the line
    ///   and column of the problem where the parser gives one), or has the wrong shape; naming the
    ///   task (by its position and name) and the template for a missing or mistyped key, an
    ///   empty template list, an unknown kind, a malformed template or an unknown placeholder
    ///   (with the list of available fields), and for duplicate names or a name clashing with a
    ///   built-in task.
    public static func load(path: String, available: (TaskKind) -> Set<String>) throws -> [TaskDefinition] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FileError(path, "cannot read the task file: it does not exist")
        }
        guard !isDirectory.boolValue else {
            throw FileError(path, "cannot read the task file: it is a folder")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw FileError(path, "cannot read the task file (\(error.localizedDescription))")
        }
        guard data.contains(where: { ![9, 10, 13, 32].contains($0) }) else {
            throw FileError(path, "the task file is empty; expected a JSON task object or {\"tasks\": [...]}")
        }
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw FileError(path, "not valid JSON: \(jsonProblem(error, in: data))")
        }
        guard let object = root as? [String: Any] else {
            throw FileError(path, "expected a JSON object (one task, or {\"tasks\": [...]}), found \(jsonTypeName(root))")
        }

        let taskObjects: [Any]
        if let list = object["tasks"] {
            let extra = object.keys.filter { $0 != "tasks" }.sorted()
            guard extra.isEmpty else {
                throw FileError(path, "a file with \"tasks\" can have no other top-level keys; found \(extra.map { "\"\($0)\"" }.joined(separator: ", "))")
            }
            guard let array = list as? [Any] else {
                throw FileError(path, "\"tasks\" must be a list of task objects, found \(jsonTypeName(list))")
            }
            guard !array.isEmpty else {
                throw FileError(path, "\"tasks\" is an empty list; define at least one task")
            }
            taskObjects = array
        } else {
            taskObjects = [object]
        }

        var tasks: [TaskDefinition] = []
        var positionOfName: [String: Int] = [:]
        for (index, element) in taskObjects.enumerated() {
            let task = try parseTask(element, number: index + 1, of: taskObjects.count, path: path, available: available)
            if let earlier = positionOfName[task.name] {
                throw FileError(path, "task name '\(task.name)' is used twice (tasks #\(earlier) and #\(index + 1)); task names must be unique")
            }
            if BuiltinTasks.named(task.name) != nil {
                let which = taskObjects.count == 1 ? "the task" : "task #\(index + 1)"
                throw FileError(path, "\(which) is named '\(task.name)', which is a built-in task; choose another name")
            }
            positionOfName[task.name] = index + 1
            tasks.append(task)
        }
        return tasks
    }

    /// One task object of a task file.
    private static func parseTask(_ element: Any, number: Int, of count: Int, path: String,
                                  available: (TaskKind) -> Set<String>) throws -> TaskDefinition {
        guard let object = element as? [String: Any] else {
            throw FileError(path, "task #\(number) must be a JSON object, found \(jsonTypeName(element))")
        }
        // How errors name the task: by name in a file of one task, by position (and name) in a list.
        let givenName = object["name"] as? String
        let label = count == 1
            ? givenName.map { "task '\($0)'" } ?? "the task"
            : "task #\(number)" + (givenName.map { " ('\($0)')" } ?? "")

        let unknown = object.keys.filter { !fileKeys.contains($0) }.sorted()
        if let key = unknown.first {
            throw FileError(path, "\(label): unknown key \"\(key)\"; a task has the keys \(fileKeys.map { "\"\($0)\"" }.joined(separator: ", "))")
        }
        func string(_ key: String, required: Bool = true) throws -> String? {
            guard let value = object[key] else {
                if required { throw FileError(path, "\(label): missing key \"\(key)\"") }
                return nil
            }
            guard let s = value as? String else {
                throw FileError(path, "\(label): \"\(key)\" must be a string, found \(jsonTypeName(value))")
            }
            return s
        }

        let name = try string("name")!
        guard !name.isEmpty, name.unicodeScalars.allSatisfy({ nameCharacters.contains($0) }) else {
            throw FileError(path, "\(label): the name \"\(name)\" must be non-empty and use only letters, digits, '_', '-' and '.'")
        }
        let kindText = try string("kind")!
        guard let kind = TaskKind(rawValue: kindText) else {
            throw FileError(path, "\(label): kind \"\(kindText)\" is not one of \(TaskKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let description = try string("description", required: false) ?? ""

        guard let inputValue = object["input_templates"] else {
            throw FileError(path, "\(label): missing key \"input_templates\"")
        }
        guard let inputList = inputValue as? [Any] else {
            throw FileError(path, "\(label): \"input_templates\" must be a list of strings, found \(jsonTypeName(inputValue))")
        }
        guard !inputList.isEmpty else {
            throw FileError(path, "\(label): \"input_templates\" is an empty list; give at least one template")
        }
        func template(_ text: String, _ role: String) throws -> PromptTemplate {
            guard text.contains(where: { !$0.isWhitespace }) else {
                throw FileError(path, "\(label), \(role): the template is empty")
            }
            do {
                return try PromptTemplate(text)
            } catch let error as TemplateError {
                throw FileError(path, "\(label), \(role): \(error.message)")
            }
        }
        var inputs: [PromptTemplate] = []
        for (i, value) in inputList.enumerated() {
            guard let text = value as? String else {
                throw FileError(path, "\(label), input template #\(i + 1): must be a string, found \(jsonTypeName(value))")
            }
            inputs.append(try template(text, "input template #\(i + 1)"))
        }
        let response = try template(try string("response_template")!, "response template")

        let task = TaskDefinition(name: name, kind: kind, description: description,
                                  inputTemplates: inputs, responseTemplate: response)
        do {
            try task.validate(available: available(kind))
        } catch let error as TemplateError {
            throw FileError(path, error.message)
        }
        return task
    }

    private static let nameCharacters: Set<Unicode.Scalar> =
        Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.".unicodeScalars)

    /// The parser's complaint, with "around character N" turned into a line and column.
    private static func jsonProblem(_ error: Error, in data: Data) -> String {
        let ns = error as NSError
        let detail = (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? error.localizedDescription
        guard let range = detail.range(of: "around character "),
              let offset = Int(detail[range.upperBound...].prefix(while: \.isNumber)) else {
            var text = detail.trimmingCharacters(in: .whitespaces)
            if text.hasSuffix(".") { text.removeLast() }
            text = text.prefix(1).lowercased() + text.dropFirst()
            if text.contains("end of file") { text += " (is a bracket, brace or quote left open?)" }
            return text
        }
        // The offset counts bytes from 0.
        var line = 1
        var lineStart = 0
        let bytes = [UInt8](data)
        for k in 0..<min(offset, bytes.count) where bytes[k] == UInt8(ascii: "\n") {
            line += 1
            lineStart = k + 1
        }
        let end = min(offset, bytes.count)
        let column = (String(decoding: bytes[lineStart..<end], as: UTF8.self).count) + 1
        let what = detail[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
        return "\(what.prefix(1).lowercased() + what.dropFirst()) at line \(line), column \(column)"
    }

    /// A JSON value's type, for error messages.
    private static func jsonTypeName(_ value: Any) -> String {
        switch value {
        case is String: return "a string"
        case is [Any]: return "a list"
        case is [String: Any]: return "an object"
        case is NSNull: return "null"
        case let n as NSNumber:
            // JSON parsers make booleans as NSNumbers of Objective-C type "c" (char).
            return String(cString: n.objCType) == "c" ? "a boolean" : "a number"
        default: return "\(type(of: value))"
        }
    }

    /// The field most like `name` (same ignoring case, or at most two edits away), if any.
    private static func closest(to name: String, in fields: Set<String>) -> String? {
        let lower = name.lowercased()
        if let same = fields.sorted().first(where: { $0.lowercased() == lower }) { return same }
        var best: (field: String, distance: Int)?
        for field in fields.sorted() {
            let d = editDistance(Array(lower), Array(field.lowercased()))
            if d <= 2, d < (best?.distance ?? Int.max) { best = (field, d) }
        }
        return best?.field
    }

    private static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}

extension TaskDefinition {
    /// The task with only its first `count` input templates (all of them when it has fewer).
    /// Inference renders template 1 by default, so `keepingTemplates(1)` trains a small model on
    /// exactly the prompts it will be asked; the published checkpoints saw every template.
    public func keepingTemplates(_ count: Int) -> TaskDefinition {
        precondition(count >= 1, "keep at least one template")
        var copy = self
        copy.inputTemplates = Array(inputTemplates.prefix(count))
        return copy
    }
}
