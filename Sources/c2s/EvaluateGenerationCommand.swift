import ArgumentParser
import C2S
import Evaluation
import Foundation
import Mechanics
import Transformer

struct EvaluateGenerationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generation",
        abstract: "Compare generated cells with real cells of the same types.",
        discussion: """
            GEN and REAL are expression files (.h5ad for labels); genes are matched by name. \
            Metrics: k-NN accuracy of the generated cells' types among the real cells (and the \
            real-vs-real reference: REAL classified by --real-train, or leave-one-out; and the \
            separation of the generated cells: each classified by the other generated cells, \
            leave-one-out) in expression space (or --pca N components fitted on REAL) and in \
            sentence space (edit distance over the first --genes words), with chance (1 / real \
            cell types); mean generated vs mean real profile per cell type (Pearson, Spearman, \
            R^2) beside its label-blind null (each type's real mean against the mean of all real \
            cells, "profile_null") and its real-vs-real reference (as many real cells of the \
            type as were generated, at most half, against the rest of the type, 20 seeded draws, \
            "profile_real_vs_real"); validity, uniqueness and length of the generated \
            sentences (obs column --sentence-column); MMD^2 (RBF, median heuristic) and entropic \
            Gromov-Wasserstein on seeded subsamples.

            Examples:
              c2s evaluate generation --generated cells.h5ad --real test.h5ad --label-column cell_type -o generation.json
              c2s evaluate generation --generated cells.h5ad --real test.h5ad --real-train train.h5ad --pca 50 --genes 100

            Label-swap test (--model with --sentences): does the model use its label? Each \
            held-out real cell of --sentences (the --split of --splits; a seeded subsample of \
            --label-swap-cells) is scored as the response to the model's cell_type_generation \
            prompt once under every label the model learned (its c2s.json): its top --top-genes \
            genes, then EOS, as in training. Reported under "label_swap": the log-likelihood per \
            token under the own label and under the others, the gap, and how often the own label \
            is the most likely (chance: 1 / labels). A model that ignores the label has gap 0 and \
            accuracy at chance.
              c2s evaluate generation --generated cells.h5ad --real test.h5ad --model pbmc-model \
                  --sentences pbmc-sentences --splits splits.json --split test -o generation.json
              c2s evaluate generation --model pbmc-model --sentences pbmc-sentences --splits splits.json -o label-swap.json

            Training overlap (--generated with --sentences and --splits): are the generated cells \
            new, or copies of training cells? For each generated cell (its obs column \
            --sentence-column) and each held-out real cell of --sentences (split --split), the \
            training cell (split train) whose first --genes genes overlap its own most, by the \
            Jaccard index of the gene sets. Reported under "training_overlap": median, mean and \
            90th percentile of that nearest overlap, the share of near-copies (>= 0.9) and exact \
            copies (the same first genes in the same order), overall and per label; held-out \
            real cells are the reference (new cells of the same population).
            """)

    @Option(help: "Generated cells (.h5ad: reconstructed expression in X, the conditioning label and optionally the sentence in obs); with --real, or both left out to run only the label-swap test.")
    var generated: String?

    @Option(help: "Real held-out cells (.h5ad with the label column).")
    var real: String?

    @Option(help: "Real training cells for the real-vs-real reference row (default: leave-one-out among REAL).")
    var realTrain: String?

    @Option(help: "obs column with the cell type (the conditioning label in GEN).")
    var labelColumn = "cell_type"

    @Option(help: "Label column of GEN when it differs from --label-column.")
    var generatedLabelColumn: String?

    @Option(help: "obs column holding each cell's sentence (used when present; otherwise sentences are ranked from X).")
    var sentenceColumn = "cell_sentence"

    @Option(help: "Principal components for expression-space k-NN, MMD and GW (0: the shared genes as they are).")
    var pca = 0

    @Option(help: "Words of each sentence compared in sentence space.")
    var genes = 100

    @Option(help: "Neighbour counts, comma-separated.")
    var k = IntegerList(argument: "5,10,25,50")!

    @Option(help: "Cells per set for MMD (seeded subsample when larger).")
    var mmdCells = 1000

    @Option(help: "Cells per set for Gromov-Wasserstein (seeded subsample when larger).")
    var gwCells = 500

    @Option(help: "Entropic regularisation of Gromov-Wasserstein (distances are scaled to the real subsample's largest).")
    var gwEpsilon = 0.01

    @Option(help: "Outer iterations of Gromov-Wasserstein at most.")
    var gwMaxIter = 1000

    @Option(help: "Seed of the MMD and GW subsamples.")
    var seed: UInt64 = 0

    @Option(help: "Log-normalise the real files first: each cell to this total, then log10(1 + x) (as c2s convert).")
    var normalizeReal: Double?

    @Option(help: "Also write the mean profiles as CSV (gene, then generated and real mean per cell type).")
    var profiles: String?

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @OptionGroup(title: "Label-swap test") var labelSwap: LabelSwapArguments

    @OptionGroup var out: MetricsOutputOptions

    func validate() throws {
        if pca < 0 { throw ValidationError("--pca must be 0 or more") }
        if genes < 1 { throw ValidationError("--genes must be at least 1") }
        if mmdCells < 2 || gwCells < 2 { throw ValidationError("--mmd-cells and --gw-cells must be at least 2") }
        if !(gwEpsilon > 0) { throw ValidationError("--gw-epsilon must be positive") }
        if gwMaxIter < 1 { throw ValidationError("--gw-max-iter must be at least 1") }
        if let normalizeReal, !(normalizeReal > 0) { throw ValidationError("--normalize-real must be positive") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        try labelSwap.check(generated: generated != nil)
        if (generated == nil) != (real == nil) { throw ValidationError("--generated and --real go together") }
        if generated == nil && labelSwap.model == nil {
            throw ValidationError("give --generated and --real (the generation metrics), or --model and --sentences (the label-swap test), or both")
        }
        if generated == nil && (realTrain != nil || profiles != nil) { throw ValidationError("--real-train and --profiles need --generated and --real") }
    }

    func run() throws {
        try CLIErrors.run {
            var settings = GenerationEvaluationWorkflowSettings()
            settings.generated = generated
            settings.real = real
            settings.realTrain = realTrain
            settings.metrics.labelColumn = labelColumn
            settings.metrics.generatedLabelColumn = generatedLabelColumn
            settings.metrics.sentenceColumn = sentenceColumn
            settings.metrics.ks = k.values
            settings.metrics.pcaComponents = pca > 0 ? pca : nil
            settings.metrics.sentenceGenes = genes
            settings.metrics.mmdCells = mmdCells
            settings.metrics.gwCells = gwCells
            settings.metrics.gromovWasserstein.epsilon = gwEpsilon
            settings.metrics.gromovWasserstein.maxIterations = gwMaxIter
            settings.metrics.seed = seed
            settings.metrics.normalizeRealTarget = normalizeReal
            settings.metrics.threads = threads ?? Parallel.defaultThreads
            settings.trainingOverlap = labelSwap.trainingOverlap
            settings.labelSwap = labelSwap.settings(labelColumn: labelColumn, seed: seed, threads: settings.metrics.threads)
            settings.profiles = profiles != nil
            let started = Date()
            let say: (String) -> Void = { if !out.quiet { printError("\($0)...") } }
            if let threads { KernelThreads.count = threads }
            // The model's matrix products use the same threads as our kernels (as the task commands do).
            if settings.labelSwap != nil { Matmul.setThreads(KernelThreads.count) }
            var bar: ProgressBar?
            let result = try GenerationEvaluationWorkflow.run(settings) { event in
                switch event {
                case .step(let text): say(text)
                case .warning(let w): if !out.quiet { printError("warning: \(w)") }
                case .labelSwapStarted(let cells, let labels):
                    say("label-swap test (\(cells) cells offered, \(labels) labels)")
                    bar = ProgressBar(quiet: out.quiet)
                case .labelSwapProgress(let done, let total): bar?.update("label-swap test", done, total, unit: "cell-label pairs")
                case .labelSwapFinished: bar?.finish()
                }
            }
            try out.write(result.metrics)
            if let profiles, let csv = result.profilesCSV { try MetricsFile.write(text: csv, to: profiles) }
            guard !out.quiet else { return }
            let text = [result.metrics.report.map(summary), result.metrics.labelSwap.map(LabelSwapArguments.summary)].compactMap { $0 }.joined(separator: "\n")
            printError(text + String(format: "\n%.1f s", Date().timeIntervalSince(started)))
        }
    }

    func summary(_ r: GenerationReport) -> String {
        var lines: [String] = []
        let ks = r.settings.ks
        // Chance beside the accuracies: a k-NN figure means little without it.
        lines.append("k-NN accuracy" + ks.map { "  k=\($0)" }.joined() + (r.knnChance.map { "  (chance \(SummaryFormat.percent($0)))" } ?? ""))
        for row in r.knn {
            let cells = ks.map { k in row.scores.first { $0.k == k }.map { SummaryFormat.percent($0.accuracy) } ?? "-" }
            lines.append("  \(row.space) \(row.name): " + cells.joined(separator: "  "))
        }
        for m in r.knnMixMatched ?? [] {
            let cells = ks.map { k in m.scores.first { $0.k == k }.map { SummaryFormat.percent($0.accuracy) } ?? "-" }
            lines.append("  \(m.space) real vs real on the generated cells' label mix: " + cells.joined(separator: "  "))
        }
        let mp = r.meanProfiles
        // The null beside the model's Pearson: the average real cell already correlates highly
        // with every type's mean, so the model's figure alone overstates what it learned.
        var references: [String] = []
        if let n = r.profileNull { references.append("label-blind null, mean of all real cells: \(SummaryFormat.fraction(n.meanPearson))") }
        if let c = r.profileCeiling { references.append("real vs real, as many real cells as generated: \(SummaryFormat.fraction(c.meanPearson))") }
        let beside = references.isEmpty ? "" : " (" + references.joined(separator: "; ") + ")"
        lines.append("mean profiles (\(mp.perType.count) types): Pearson \(SummaryFormat.fraction(mp.meanPearson))\(beside), Spearman \(SummaryFormat.fraction(mp.meanSpearman)), R^2 \(SummaryFormat.fraction(mp.meanR2))")
        // The registered metrics' own lines (sentence quality, MMD, Gromov-Wasserstein, …).
        lines += r.registered.summary()
        for w in r.warnings { lines.append("warning: \(w)") }
        return lines.joined(separator: "\n")
    }
}
