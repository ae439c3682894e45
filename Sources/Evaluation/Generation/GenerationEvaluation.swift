import CellSentences
import Foundation
import Mechanics
import SingleCell

/// Generated cells against real cells: the k-NN table (generated vs real, real vs real, and
/// generated vs generated leave-one-out, with chance), mean profiles per cell type beside their
/// label-blind null, then the registered metrics (``GenerationMetrics``: sentence
/// validity/uniqueness/length, MMD and Gromov-Wasserstein; definitions in each metric's type).
///
/// Expression space is the genes the files share (matched by name, in the real file's order),
/// with each file's values as stored (or the real files log-normalised when asked), optionally
/// projected on principal components fitted to the real cells. Sentence space compares the
/// first `sentenceGenes` words of each cell's sentence: the `sentenceColumn` text when the file
/// has it, otherwise the cell's genes ranked by value (descending, ties by column) from its
/// own matrix; words are matched to the real file's genes.
public enum GenerationEvaluation {
    /// Runs every metric. `realTrain`, when given, supplies the reference row's k-NN fit cells
    /// (real held-out cells classified by real training cells); without it the reference row
    /// classifies each real cell by the other real cells (leave-one-out). `trainingSentences`,
    /// when given, adds the training overlap (the memorisation check, ``TrainingOverlapMetric``).
    public static func run(generated: ExpressionMatrix, real: ExpressionMatrix, realTrain: ExpressionMatrix? = nil, settings: GenerationSettings,
                           trainingSentences: TrainingOverlap.References? = nil,
                           metrics: [any EvaluationMetric<GenerationMetricInput>.Type] = GenerationMetrics.all,
                           progress: (String) -> Void = { _ in }) throws -> GenerationReport {
        var timings: [StageTiming] = []
        var stageStart = Date()
        var stageName = "preparation"
        func stage(_ name: String) {
            let now = Date()
            timings.append(StageTiming(stage: stageName, seconds: now.timeIntervalSince(stageStart)))
            stageName = name
            stageStart = now
            progress(name)
        }
        var warnings: [String] = generated.warnings + real.warnings + (realTrain?.warnings ?? [])
        var real = real, realTrain = realTrain
        if let target = settings.normalizeRealTarget {
            real = real.logNormalized(target: target)
            realTrain = realTrain?.logNormalized(target: target)
        } else if real.looksLikeCounts && !generated.looksLikeCounts {
            warnings.append("\(real.path) holds whole numbers (raw counts?) while \(generated.path) does not; expression-space metrics compare them as they are (pass --normalize-real 1e4 to log-normalise the real cells as c2s convert does)")
        }

        // Labels; cells without one are left out everywhere.
        let genColumn = settings.generatedLabelColumn ?? settings.labelColumn
        let (gen, genLabels, genMissing) = try labelled(generated, column: genColumn)
        let (ref, refLabels, refMissing) = try labelled(real, column: settings.labelColumn)
        var train: ExpressionMatrix?, trainLabels: [String] = [], trainMissing = 0
        if let t = realTrain {
            let r = try labelled(t, column: settings.labelColumn)
            train = r.0; trainLabels = r.1; trainMissing = r.2
        }
        for (table, missing, column) in [(generated, genMissing, genColumn), (real, refMissing, settings.labelColumn)] where missing > 0 {
            warnings.append("\(table.path): \(missing) cells have no \(column) and were left out")
        }
        if trainMissing > 0 { warnings.append("\(realTrain!.path): \(trainMissing) cells have no \(settings.labelColumn) and were left out") }
        guard gen.matrix.rowCount > 0 else { throw DataError("\(generated.path): no generated cell has a label in '\(genColumn)'") }
        guard ref.matrix.rowCount > 1 else { throw DataError("\(real.path): fewer than two real cells have a label in '\(settings.labelColumn)'") }

        // Shared genes.
        var files: [(path: String, genes: [String])] = [(ref.path, ref.genes), (gen.path, gen.genes)]
        if let train { files.append((train.path, train.genes)) }
        let alignment = try GeneAlignment(files)
        if alignment.genes.count < max(10, ref.genes.count / 2) {
            warnings.append("only \(alignment.genes.count) of \(ref.genes.count) real genes are in every file")
        }
        var refX = ref.matrix.selecting(columns: alignment.columns[0])
        var genX = gen.matrix.selecting(columns: alignment.columns[1])
        var trainX = train.map { $0.matrix.selecting(columns: alignment.columns[2]) }
        let expressionRef = refX, expressionGen = genX

        var inputs = [
            InputSummary(role: "generated", path: generated.path, cells: generated.matrix.rowCount, genes: generated.genes.count,
                         genesNotShared: alignment.dropped[1], cellsWithoutLabel: genMissing),
            InputSummary(role: "real", path: real.path, cells: real.matrix.rowCount, genes: real.genes.count,
                         genesNotShared: alignment.dropped[0], cellsWithoutLabel: refMissing),
        ]
        if let realTrain {
            inputs.append(InputSummary(role: "real_train", path: realTrain.path, cells: realTrain.matrix.rowCount, genes: realTrain.genes.count,
                                       genesNotShared: alignment.dropped[2], cellsWithoutLabel: trainMissing))
        }

        // Optional PCA, fitted on the real cells.
        var pcaSummary: PCASummary?
        var space = "expression"
        if let n = settings.pcaComponents, n > 0 {
            stage("PCA")
            let pca = try PrincipalComponents.fit(refX, components: n, threads: settings.threads)
            refX = pca.transform(refX); genX = pca.transform(genX); trainX = trainX.map { pca.transform($0) }
            pcaSummary = PCASummary(components: n, fittedOn: "real cells (\(real.path))", explainedVarianceRatio: pca.explainedVarianceRatio)
            space = "pca"
        }

        // k-NN in expression (or PCA) space.
        stage("k-NN in \(space) space")
        var knn: [KNNAccuracyRow] = []
        knn.append(euclideanRow(name: "generated vs real", space: space, queries: genX, queryLabels: genLabels, queryText: "generated cells (\(generated.path))",
                                references: refX, referenceLabels: refLabels, referenceText: "real cells (\(real.path))", settings: settings))
        if let trainX {
            knn.append(euclideanRow(name: "real vs real (reference)", space: space, queries: refX, queryLabels: refLabels, queryText: "real cells (\(real.path))",
                                    references: trainX, referenceLabels: trainLabels, referenceText: "real training cells (\(realTrain!.path))", settings: settings))
        } else {
            knn.append(euclideanRow(name: "real vs real (reference)", space: space, queries: refX, queryLabels: refLabels, queryText: "real cells (\(real.path))",
                                    references: refX, referenceLabels: refLabels, referenceText: "the other real cells (leave-one-out)",
                                    settings: settings, leaveOneOut: true))
        }
        knn.append(euclideanRow(name: "generated vs generated (separation)", space: space, queries: genX, queryLabels: genLabels,
                                queryText: "generated cells (\(generated.path))", references: genX, referenceLabels: genLabels,
                                referenceText: "the other generated cells (leave-one-out)", settings: settings, leaveOneOut: true))

        // k-NN in sentence space.
        stage("k-NN in sentence space")
        let lookup = GeneLookup(ref.genes)
        var ids: [String: Int32] = [:]
        for (i, g) in ref.genes.enumerated() where ids[g] == nil { ids[g] = Int32(i) }
        func sentences(_ table: ExpressionMatrix) throws -> TokenSequences {
            if table.hasColumn(settings.sentenceColumn) {
                return TokenSequences.words(of: try table.column(settings.sentenceColumn).map { $0 ?? "" }, lookup: lookup, limit: settings.sentenceGenes)
            }
            return TokenSequences.ranking(table.matrix, ids: table.genes.map { ids[$0] ?? -1 }, limit: settings.sentenceGenes)
        }
        func sentenceSource(_ table: ExpressionMatrix) -> String {
            table.hasColumn(settings.sentenceColumn) ? "obs column \(settings.sentenceColumn)" : "genes ranked by value in X"
        }
        let genTokens = try sentences(gen), refTokens = try sentences(ref)
        let symbols = ref.genes.count
        knn.append(sentenceRow(name: "generated vs real", queries: genTokens, queryLabels: genLabels,
                               queryText: "generated cells (\(generated.path), \(sentenceSource(generated)))",
                               references: refTokens, referenceLabels: refLabels, referenceText: "real cells (\(real.path), \(sentenceSource(real)))",
                               symbols: symbols, settings: settings))
        if let train, let realTrain {
            knn.append(sentenceRow(name: "real vs real (reference)", queries: refTokens, queryLabels: refLabels,
                                   queryText: "real cells (\(real.path), \(sentenceSource(real)))", references: try sentences(train),
                                   referenceLabels: trainLabels, referenceText: "real training cells (\(realTrain.path), \(sentenceSource(realTrain)))",
                                   symbols: symbols, settings: settings))
        } else {
            knn.append(sentenceRow(name: "real vs real (reference)", queries: refTokens, queryLabels: refLabels,
                                   queryText: "real cells (\(real.path), \(sentenceSource(real)))", references: refTokens,
                                   referenceLabels: refLabels, referenceText: "the other real cells (leave-one-out)",
                                   symbols: symbols, settings: settings, leaveOneOut: true))
        }
        knn.append(sentenceRow(name: "generated vs generated (separation)", queries: genTokens, queryLabels: genLabels,
                               queryText: "generated cells (\(generated.path), \(sentenceSource(generated)))", references: genTokens,
                               referenceLabels: genLabels, referenceText: "the other generated cells (leave-one-out)",
                               symbols: symbols, settings: settings, leaveOneOut: true))

        stage("mean profiles")
        let profiles = MeanProfiles.compare(generated: expressionGen, generatedLabels: genLabels, real: expressionRef, realLabels: refLabels)
        let profileNull = ProfileNull.compute(real: expressionRef, realLabels: refLabels, types: profiles.perType.map(\.label))
        let profileCeiling = ProfileCeiling.compute(real: expressionRef, realLabels: refLabels, types: profiles.perType.map(\.label),
                                                    generatedCounts: profiles.perType.map(\.generatedCells), seed: settings.seed)
        if !profiles.onlyGenerated.isEmpty {
            warnings.append("generated cell types with no real cells (no mean profile): \(profiles.onlyGenerated.joined(separator: ", "))")
        }

        // The registered metrics (validity/uniqueness/length, MMD, Gromov-Wasserstein, …).
        let input = GenerationMetricInput(settings: settings, generated: genX, real: refX, space: space, generatedLabels: genLabels,
                                          realLabels: refLabels, generatedCells: gen, generatedPath: generated.path, realPath: real.path,
                                          realGenes: lookup, trainingSentences: trainingSentences)
        let values = try MetricValues.compute(metrics, input: input, warnings: &warnings, stage: stage)

        timings.append(StageTiming(stage: stageName, seconds: Date().timeIntervalSince(stageStart)))
        return GenerationReport(settings: settings, inputs: inputs, sharedGenes: alignment.genes.count, pca: pcaSummary, knn: knn,
                                knnChance: 1 / Double(Set(refLabels).count), knnMixMatched: MixMatchedCeiling.all(in: knn), meanProfiles: profiles, profileNull: profileNull, profileCeiling: profileCeiling,
                                registered: values, warnings: warnings,
                                timings: timings)
    }

    /// The cells of `table` with a value in `column`, and those values.
    public static func labelled(_ table: ExpressionMatrix, column: String) throws -> (ExpressionMatrix, [String], Int) {
        let values = try table.column(column)
        let keep = values.indices.filter { values[$0] != nil }
        if keep.count == values.count { return (table, values.map { $0! }, 0) }
        return (table.selecting(rows: keep), keep.map { values[$0]! }, values.count - keep.count)
    }

    /// The ks that the references allow, and the rest.
    static func usableK(_ ks: [Int], references: Int) -> ([Int], [Int]) {
        (ks.filter { $0 >= 1 && $0 <= references }, ks.filter { $0 < 1 || $0 > references })
    }

    static func euclideanRow(name: String, space: String, queries: FeatureRows, queryLabels: [String], queryText: String,
                             references: FeatureRows, referenceLabels: [String], referenceText: String,
                             settings: GenerationSettings, leaveOneOut: Bool = false) -> KNNAccuracyRow {
        let (ks, skipped) = usableK(settings.ks, references: references.rowCount - (leaveOneOut ? 1 : 0))
        let lists = EuclideanNeighbors.search(queries: queries, references: references, ks: ks, rule: .scikitLearnHeap,
                                              leaveOneOut: leaveOneOut, threads: settings.threads)
        return KNNAccuracyRow(name: name, space: space, queries: queryText, references: referenceText, lists: lists, ks: ks,
                              skippedK: skipped, queryLabels: queryLabels, referenceLabels: referenceLabels, tieRule: .scikitLearnHeap)
    }

    static func sentenceRow(name: String, queries: TokenSequences, queryLabels: [String], queryText: String,
                            references: TokenSequences, referenceLabels: [String], referenceText: String, symbols: Int,
                            settings: GenerationSettings, leaveOneOut: Bool = false) -> KNNAccuracyRow {
        let (ks, skipped) = usableK(settings.ks, references: references.count - (leaveOneOut ? 1 : 0))
        let lists = EditDistanceNeighbors.search(queries: queries, references: references, symbols: symbols, ks: ks, rule: .lowerIndex,
                                                 leaveOneOut: leaveOneOut, threads: settings.threads)
        return KNNAccuracyRow(name: name, space: "sentence", queries: queryText, references: referenceText, lists: lists, ks: ks,
                              skippedK: skipped, queryLabels: queryLabels, referenceLabels: referenceLabels, tieRule: .lowerIndex)
    }
}
