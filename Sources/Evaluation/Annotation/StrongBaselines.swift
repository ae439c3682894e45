import Foundation
import Mechanics
import SingleCell

/// The baselines an analyst would compare an annotation model with, trained on the train split
/// and scored on the same held-out cells as the model:
///
/// - **logistic regression on highly variable genes**: each cell normalised to
///   `normalizeTarget` counts and ln(1 + x) (scanpy's `normalize_total` + `log1p`); the
///   ``HighlyVariableGenes`` (Seurat flavour, scanpy's `highly_variable_genes(flavor="seurat",
///   n_top_genes=hvg)`) of the **train cells only**, so the held-out cells never choose their
///   features; then ``LogisticRegression`` (scikit-learn's `LogisticRegression()`, C = 1) on the
///   log-normalised HVGs as they are. Not standardised: on kang-ifnb-sub2k (1,600 train / 200
///   test cells, 13 types) scikit-learn gives 89.5 % on the log values and 86.5 % after
///   `StandardScaler`, so the unscaled model is the stronger baseline.
/// - **k-NN on principal components of the HVGs**: scanpy's tutorial pipeline, `scale(max_value=10)`
///   then `pca(n_comps=pca)`, fitted on the train cells (``FeatureScaling``,
///   ``PrincipalComponents``); held-out cells are scaled with the train mean and deviation,
///   clipped, and projected; k-NN majority vote on the scores (``EuclideanNeighbors``,
///   ``NeighborVote``).
/// - chance levels: 1 / (classes in the train split), and the accuracy of always answering the
///   train split's most frequent class.
public enum StrongBaselines {
    /// Fits both baselines on `train` (raw counts) and scores them on `test`.
    public static func run(train: ExpressionMatrix, trainLabels: [String], test: ExpressionMatrix, testLabels: [String],
                           hvg: Int, pcaComponents: Int, k: Int, normalizeTarget: Double,
                           threads: Int = Parallel.defaultThreads) throws -> StrongBaselinesReport {
        guard hvg >= 1 else { throw DataError("--hvg must be at least 1, not \(hvg)") }
        guard pcaComponents >= 1 else { throw DataError("--pca must be at least 1, not \(pcaComponents)") }
        guard train.matrix.rowCount > k else {
            throw DataError("\(train.path): the strong baselines need more than \(k) training cells, found \(train.matrix.rowCount)")
        }
        guard test.matrix.rowCount > 0 else { throw DataError("\(train.path): no test cells for the baselines") }
        let trainLog = train.logNormalized(target: normalizeTarget, base: .e).matrix
        let testLog = test.logNormalized(target: normalizeTarget, base: .e).matrix
        let genes = try HighlyVariableGenes.seurat(trainLog, top: hvg)
        let h = genes.selected.count, n = trainLog.rowCount, m = testLog.rowCount
        let sparseTrain = trainLog.selecting(columns: genes.selected), sparseTest = testLog.selecting(columns: genes.selected)
        let classes = ClassLabels(trainLabels)
        let codes = classes.codes(trainLabels)

        let started = Date()
        let model = try LogisticRegression.fit(sparseTrain, labels: codes, classCount: classes.count)
        let lrSeconds = Date().timeIntervalSince(started)
        let lrPredicted = model.predict(sparseTest).map { classes.names[Int($0)] }
        let lr = LogisticRegressionBaselineReport(
            genes: h, trainCells: n, c: 1, standardized: false, iterations: model.optimization.iterations,
            gradientMaxNorm: model.optimization.gradientMaxNorm / Double(n), converged: model.optimization.converged,
            seconds: lrSeconds, metrics: ClassificationMetrics(truth: testLabels, predicted: lrPredicted))

        let components = min(pcaComponents, h, n - 1)
        let (knnCodes, pca) = try knnOnPrincipalComponents(train: sparseTrain, codes: codes, classCount: classes.count, test: sparseTest,
                                                           components: components, k: k, threads: threads)
        let knnPredicted = knnCodes.map { classes.names[Int($0)] }
        let knn = KNNPCABaselineReport(genes: h, trainCells: n, k: k, components: components, scaleMaxValue: 10,
                                       explainedVarianceRatio: pca.explainedVarianceRatio.reduce(0, +),
                                       metrics: ClassificationMetrics(truth: testLabels, predicted: knnPredicted))

        // max(by:) keeps the first of equal elements: a tie goes to the first class in order.
        var frequency = [Int](repeating: 0, count: classes.count)
        for c in codes { frequency[Int(c)] += 1 }
        let majority = classes.names[frequency.indices.max { frequency[$0] < frequency[$1] }!]
        let chance = ChanceLevels(classes: classes.count, uniform: 1 / Double(classes.count), majorityClass: majority,
                                  majorityClassAccuracy: Double(testLabels.filter { $0 == majority }.count) / Double(m))
        let selection = HVGSelectionReport(requested: hvg, selected: h, candidateGenes: trainLog.columnCount, trainCells: n,
                                           normalizeTarget: normalizeTarget)
        return StrongBaselinesReport(hvg: selection, logisticRegressionHVG: lr, knnPCAHVG: knn, chance: chance)
    }

    /// k-NN class codes of `test` on principal components of the rows scaled as fitted on `train`
    /// (unit variance, clipped at ±10), and the fitted PCA.
    static func knnOnPrincipalComponents(train: FeatureRows, codes: [Int32], classCount: Int, test: FeatureRows,
                                         components: Int, k: Int, threads: Int) throws -> ([Int32], PrincipalComponents) {
        let n = train.rowCount, m = test.rowCount, h = train.columnCount
        let scaling = FeatureScaling(fitting: train.dense(), rows: n, columns: h, maxValue: 10)
        let scaledTrain = FeatureRows(dense: scaling.apply(train.dense()), rows: n, columns: h)
        let scaledTest = FeatureRows(dense: scaling.apply(test.dense()), rows: m, columns: h)
        let pca = try PrincipalComponents.fit(scaledTrain, components: components, threads: threads)
        let lists = EuclideanNeighbors.search(queries: pca.transform(scaledTest), references: pca.transform(scaledTrain),
                                              ks: [k], rule: .scikitLearnHeap, threads: threads)
        return (NeighborVote.predict(lists[0], k: k, referenceCodes: codes, classCount: classCount), pca)
    }
}
