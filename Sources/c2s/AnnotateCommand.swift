import ArgumentParser
import C2S
import Foundation
import Prompts
import SingleCell

extension AnnotationMode: ExpressibleByArgument {}

struct AnnotateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "annotate",
        abstract: "Predict the cell type (or any label the model learned) of every cell.",
        discussion: """
            INPUT is a count matrix (.h5ad, 10x, .mtx, .csv), converted on the fly with the gene \
            naming, tie order and seed of the model's training data (no cell is filtered out \
            unless --apply-filters), or a sentence dataset from 'c2s convert'. Cells need no \
            label. Each cell's prompt is the task's input template number --template (the same \
            for every cell) with its top --top-genes genes.

            --mode constrained (default): every label the model was trained on (c2s.json, or \
            --labels FILE) is scored by the model's log-likelihood of separator + label + end of \
            sequence after the prompt, and the most likely one is chosen. --mode free: greedy \
            generation as the reference does, the answer being the text generated before the \
            end-of-sequence token (at most --max-new-tokens).

            --noisy-copies K (constrained mode): each cell is also read as K copies with noise on \
            its gene order (--copy-noise σ, as 'c2s prompts --rank-noise' adds to training \
            inputs), and every label's log-likelihood is averaged over the cell and its copies. \
            Meant for models trained with rank noise, which read a cell better as several \
            plausible measurements than as one; it costs K + 1 times the compute.

            Output: an .h5ad whose obs holds the input's columns and c2s_label (+ c2s_score, the \
            natural-log likelihood, averaged over noisy copies; c2s_probability, its share among the labels; and \
            c2s_score_<label> for every label), with no genes (join it to your data by cell \
            name), and the same table as CSV (--csv, default OUTPUT with .csv).

            Examples:
              c2s annotate --model pbmc-model pbmc.h5ad -o annotated.h5ad
              c2s annotate --model pbmc-model pbmc-sentences --splits splits.json --split test \\
                  --compare-column cell_type -o test.h5ad
              c2s annotate --model pbmc-model pbmc.h5ad --mode free --max-new-tokens 16 -o free.h5ad
            """)

    @Argument(help: "Count matrix or sentence dataset.")
    var input: String

    @Option(name: .shortAndLong, help: "The .h5ad file to write.")
    var output: String

    @Option(help: "The CSV file to write (default: OUTPUT with .csv).")
    var csv: String?

    @Option(help: "free (greedy generation) or constrained (the most likely known label).")
    var mode: AnnotationMode = .constrained

    @Option(help: "Labels to choose among, one per line (default: those in the model's c2s.json).")
    var labels: String?

    @Option(help: "The task whose prompt is used.")
    var task = "cell_type_prediction"

    @Option(help: "Longest free answer, in tokens.")
    var maxNewTokens = 32

    @Option(help: "An obs column holding true labels: report the accuracy against it.")
    var compareColumn: String?

    @Option(help: "Constrained mode: also read each cell as this many copies with noise on its gene order, and average the labels' log-likelihoods over them.")
    var noisyCopies = 0

    @Option(help: ArgumentHelp("σ of the copies' noise on log rank (as 'c2s prompts --rank-noise').", valueName: "σ"))
    var copyNoise = 0.3

    @Option(help: "Seed of the copies' noise (a cell's copies also depend on its name).")
    var copySeed: UInt64 = 0

    @OptionGroup(title: "Model") var modelOptions: C2SModelOptions
    @OptionGroup(title: "Input") var inputOptions: CellInputArguments
    @OptionGroup(title: "Run") var runOptions: RunOptions

    func validate() throws {
        if maxNewTokens < 1 { throw ValidationError("--max-new-tokens must be at least 1") }
        if noisyCopies < 0 { throw ValidationError("--noisy-copies must be at least 0") }
        if noisyCopies > 0 && mode != .constrained { throw ValidationError("--noisy-copies averages label likelihoods: it needs --mode constrained") }
        if noisyCopies > 0 && !(copyNoise.isFinite && copyNoise > 0) { throw ValidationError("--copy-noise must be a finite number above 0, got \(copyNoise)") }
    }

    func run() throws {
        try CLIErrors.run {
            let model = try modelOptions.load()
            var settings = CellAnnotationSettings(task: task, prompt: try modelOptions.prompt(task, kind: .singleCell, model: model),
                                                  input: try inputOptions.taskInput(input), output: output)
            settings.options = modelOptions.annotationOptions(model: model, mode: mode, maxNewTokens: maxNewTokens, batchSize: runOptions.batchSize)
            settings.options.noisyCopies = noisyCopies
            if noisyCopies > 0 { settings.options.copyNoise = try RankNoise(sigma: copyNoise) }
            settings.options.copySeed = copySeed
            settings.givenLabels = try labels.map(LabelFile.read)
            settings.csv = csv
            settings.compareColumn = compareColumn
            settings.chunks = runOptions.chunks
            settings.modelIdentity = modelOptions.settings(model)
            let r = try runOptions.withProgress { try CellAnnotation.run(model: model, settings: settings, onEvent: $0) }
            guard !runOptions.quiet else { return }
            printError(String(format: "%d cells annotated (%@, %@; mean prompt %.0f tokens) in %.2f s -> %@, %@", r.cells, mode.rawValue,
                              runOptions.describe((r.chunksComputed, r.chunksReused)), r.meanPromptTokens, r.seconds, output, settings.csvPath))
            printError("labels: " + r.labelCounts.prefix(8).map { "\($0.label) \($0.cells)" }.joined(separator: ", ") + (r.labelCounts.count > 8 ? ", ..." : ""))
            if let c = r.compared {
                printError(String(format: "accuracy against %@: %.2f%% (%d of %d cells with a value)", c.column,
                                  100 * Double(c.correct) / Double(max(1, c.cells)), c.correct, c.cells))
            }
        }
    }
}
