import ArgumentParser
import C2S
import Foundation
import Prompts
import SingleCell

/// The options that say which prompts to make of a sentence dataset (tasks, format, genes
/// shown, the columns tasks read): shared by `c2s prompts` (one dataset) and `c2s corpus`
/// (every source of a corpus), so both take them alike.
struct PromptTaskArguments: ParsableArguments {
    @Option(name: .customLong("task"), help: "Task name, optionally with a mixing weight (name:weight); repeat for several.")
    var tasks: [String] = []

    @Option(help: "JSON file with your own task definitions (use their names with --task).")
    var taskFile: String?

    @Option(help: "Prompt format: c2s (default), or a published checkpoint's (cell2sentence, c2s-scale), to build its training or evaluation prompts byte for byte. See 'c2s formats'.")
    var promptFormat = "c2s"

    @Option(help: "Genes of each cell shown in prompts.")
    var topK = 200

    @Option(help: "Organism named in prompts (default: the dataset's, from its manifest.json, else Homo sapiens).")
    var organism: String?

    @Option(help: "Column giving {label} (cell type, or any label to condition on; default cell_type).")
    var labelColumn: String?

    @Option(help: "Multi-cell tasks: comma-separated columns whose values define groups (e.g. donor,tissue).")
    var groupColumns: String?

    @Option(help: "Multi-cell tasks: column giving the group's {label} (default: the first group column).")
    var groupLabelColumn: String?

    @Option(help: "Multi-cell tasks: cells per example, N or MIN-MAX.")
    var groupSize = "3-5"

    @Option(help: "Natural language interpretation: column with the text of each group.")
    var textColumn: String?

    @Option(help: "Natural language interpretation: JSON file mapping group key (values joined by '|') to text.")
    var textFile: String?

    @Option(help: "Perturbation: column naming the condition.")
    var perturbationColumn = "stim"

    @Option(help: "Perturbation: value of the control condition.")
    var controlValue = "CTRL"

    @Option(help: "Perturbation: comma-separated columns a control must share with the perturbed cell, or 'none' (default: the label column when the dataset has it, else none: all cells form one group).")
    var matchColumns: String?

    @Option(help: "Perturbation: name used in prompts (default: the perturbed cell's condition value).")
    var perturbationName: String?

    @Option(help: "Use only the first N input templates of each task (default: all). Inference uses template 1, so a small model trained from scratch learns its tasks faster from --templates 1.")
    var templates: Int?

    static func columns(_ s: String?) -> [String] {
        (s ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func validate() throws {
        if tasks.isEmpty { throw ValidationError("give at least one --task (\(BuiltinTasks.all.map(\.name).joined(separator: ", ")))") }
        if topK < 1 { throw ValidationError("--top-k must be at least 1") }
        if let n = templates, n < 1 { throw ValidationError("--templates must be at least 1") }
        if textColumn != nil && textFile != nil { throw ValidationError("--text-column and --text-file cannot be used together") }
    }

    /// The library's settings for `dataset` → `output`, with these options.
    func settings(dataset: String, output: String) throws -> PromptDatasetSettings {
        let taskSpecs = try tasks.map { spec -> (name: String, weight: Double?) in
            let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return (parts[0], nil) }
            guard let w = Double(parts[1]), w >= 0 else { throw DataError("bad weight in --task \(spec); use name:0.5") }
            return (parts[0], w)
        }
        var s = try PromptDatasetSettings(dataset: dataset, output: output, tasks: taskSpecs)
        s.taskFile = taskFile
        s.profile = try PromptProfiles.named(promptFormat)
        s.templates = templates
        s.topK = topK
        s.organism = organism
        s.labelColumn = labelColumn
        s.groupColumns = Self.columns(groupColumns)
        s.groupLabelColumn = groupLabelColumn
        s.groupSizes = try GroupArguments.sizes(groupSize)
        s.textColumn = textColumn
        s.textFile = textFile
        s.perturbationColumn = perturbationColumn
        s.controlValue = controlValue
        s.matchColumns = matchColumns.map { $0 == "none" ? [] : Self.columns($0) }
        s.perturbationName = perturbationName
        return s
    }
}
