import CellSentences
@testable import Evaluation
import Mechanics
import TestSupport
import XCTest

/// Every metric against scikit-learn, scipy, POT and rapidfuzz on the committed fixture made by
/// scripts/fixtures/make_evaluation_fixtures.py.
final class MetricsFixtureTests: XCTestCase {
    static let tolerance = 1e-6
    nonisolated(unsafe) static var cached: [String: Any]?

    func fixture() throws -> [String: Any] {
        if let c = Self.cached { return c }
        let f = try loadGzipJSON("evaluation/metrics.json.gz") as! [String: Any]
        Self.cached = f
        return f
    }

    func doubles(_ any: Any?) -> [Double] { (any as! [Any]).map { ($0 as? NSNumber)?.doubleValue ?? .nan } }
    func matrix(_ any: Any?) -> [[Double]] { (any as! [[Any]]).map { doubles($0) } }
    func strings(_ any: Any?) -> [String] { any as! [String] }
    func number(_ any: Any?) -> Double { (any as? NSNumber)?.doubleValue ?? .nan }

    func rows(_ m: [[Double]]) -> FeatureRows {
        FeatureRows(dense: m.flatMap { $0 }, rows: m.count, columns: m.first?.count ?? 0)
    }

    func assertClose(_ a: Double, _ b: Double, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
        if a.isNaN || b.isNaN {
            XCTAssertTrue(a.isNaN && b.isNaN, "\(message): \(a) vs \(b)", file: file, line: line)
        } else {
            XCTAssertEqual(a, b, accuracy: Self.tolerance, message, file: file, line: line)
        }
    }

    // MARK: classification

    func testClassificationMatchesScikitLearn() throws {
        for case let c as [String: Any] in try fixture()["classification"] as! [Any] {
            let m = ClassificationMetrics(truth: strings(c["truth"]), predicted: strings(c["predicted"]))
            XCTAssertEqual(m.labels, strings(c["labels"]))
            assertClose(m.accuracy, number(c["accuracy"]))
            let p = doubles(c["precision"]), r = doubles(c["recall"]), f = doubles(c["f1"])
            let support = (c["support"] as! [Int])
            for (i, s) in m.perClass.enumerated() {
                assertClose(s.precision, p[i], "precision \(s.label)")
                assertClose(s.recall, r[i], "recall \(s.label)")
                assertClose(s.f1, f[i], "f1 \(s.label)")
                XCTAssertEqual(s.support, support[i])
            }
            let w = doubles(c["weighted"]), mac = doubles(c["macro"])
            assertClose(m.weighted.precision, w[0]); assertClose(m.weighted.recall, w[1]); assertClose(m.weighted.f1, w[2])
            assertClose(m.macro.precision, mac[0]); assertClose(m.macro.recall, mac[1]); assertClose(m.macro.f1, mac[2])
            XCTAssertEqual(m.confusionMatrix, c["confusion"] as! [[Int]])
        }
    }

    func testClassificationEdgeCases() throws {
        // The first fixture case has a class never predicted (precision 0) and one never true.
        let c = (try fixture()["classification"] as! [Any])[0] as! [String: Any]
        let m = ClassificationMetrics(truth: strings(c["truth"]), predicted: strings(c["predicted"]))
        let nk = m.perClass.first { $0.label == "NK" }!
        XCTAssertEqual(nk.predicted, 0)
        XCTAssertEqual(nk.precision, 0)
        let platelet = m.perClass.first { $0.label == "Platelet" }!
        XCTAssertEqual(platelet.support, 0)
        XCTAssertEqual(platelet.recall, 0)
        XCTAssertTrue(m.perClassCSV().contains("\"Mono, classical\","), "labels with commas are quoted")
        // Integer labels sort numerically, as scikit-learn sorts an integer array.
        XCTAssertEqual(ClassLabels(["10", "2", "1"]).names, ["1", "2", "10"])
        XCTAssertEqual(ClassLabels(["10", "2", "b"]).names, ["10", "2", "b"])
        XCTAssertEqual(ClassLabels(["b", "B", "a"]).names, ["B", "a", "b"])
    }

    // MARK: k-NN

    func testEuclideanNeighborsMatchScikitLearnBrute() throws {
        let section = try fixture()["knn_euclidean"] as! [String: Any]
        for case let c as [String: Any] in section["cases"] as! [Any] {
            let train = rows(matrix(c["train"])), query = rows(matrix(c["query"]))
            let trainLabels = strings(c["train_labels"])
            let classes = ClassLabels(trainLabels)
            let preds = c["predictions"] as! [String: [String]]
            let sets = c["neighbor_sets"] as! [String: [[Int]]]
            let ks = preds.keys.map { Int($0)! }.sorted()
            for threads in [1, 2] {
                let lists = EuclideanNeighbors.search(queries: query, references: train, ks: ks, threads: threads)
                for (k, list) in zip(ks, lists) {
                    let expectedSets = sets[String(k)]!
                    for q in 0..<query.rowCount {
                        XCTAssertEqual(list.neighbors(of: q).map { Int($0) }.sorted(), expectedSets[q], "k=\(k) query \(q)")
                    }
                    let predicted = NeighborVote.predict(list, k: k, referenceCodes: classes.codes(trainLabels), classCount: classes.count)
                    XCTAssertEqual(predicted.map { classes.names[Int($0)] }, preds[String(k)]!, "k=\(k)")
                }
            }
        }
    }

    func testLeaveOneOutMatchesScikitLearnPredictNone() throws {
        let loo = (try fixture()["knn_euclidean"] as! [String: Any])["loo"] as! [String: Any]
        let x = rows(matrix(loo["points"]))
        let labels = strings(loo["labels"])
        let classes = ClassLabels(labels)
        let preds = loo["predictions"] as! [String: [String]]
        let sets = loo["neighbor_sets"] as! [String: [[Int]]]
        let ks = preds.keys.map { Int($0)! }.sorted()
        let lists = EuclideanNeighbors.search(queries: x, references: x, ks: ks, leaveOneOut: true)
        for (k, list) in zip(ks, lists) {
            XCTAssertEqual(list.k, k)
            for q in 0..<x.rowCount {
                XCTAssertEqual(list.neighbors(of: q).map { Int($0) }.sorted(), sets[String(k)]![q], "k=\(k) row \(q)")
            }
            let predicted = NeighborVote.predict(list, k: k, referenceCodes: classes.codes(labels), classCount: classes.count)
            XCTAssertEqual(predicted.map { classes.names[Int($0)] }, preds[String(k)]!, "k=\(k)")
        }
    }

    func testSentenceSpaceNeighborsMatchPrecomputedScikitLearn() throws {
        let c = try fixture()["knn_edit"] as! [String: Any]
        let genes = strings(c["genes"])
        let lookup = GeneLookup(genes)
        let limit = c["limit"] as! Int
        let queries = TokenSequences.words(of: strings(c["query_sentences"]), lookup: lookup, limit: limit)
        let train = TokenSequences.words(of: strings(c["train_sentences"]), lookup: lookup, limit: limit)
        let expectedTokens = c["query_tokens"] as! [[Int]]
        for q in 0..<queries.count {
            XCTAssertEqual(queries.sequence(q).map { Int($0) }, expectedTokens[q], "tokens of query \(q)")
        }
        let distances = c["distances"] as! [[Int]]
        let ours = EditDistanceNeighbors.matrix(queries: queries, references: train, symbols: genes.count)
        for q in 0..<queries.count {
            XCTAssertEqual(Array(ours[(q * train.count)..<((q + 1) * train.count)]), distances[q], "edit distances of query \(q)")
        }
        let trainLabels = strings(c["train_labels"])
        let classes = ClassLabels(trainLabels)
        let preds = c["predictions"] as! [String: [String]]
        let ks = preds.keys.map { Int($0)! }.sorted()
        let lists = EditDistanceNeighbors.search(queries: queries, references: train, symbols: genes.count, ks: ks)
        for (k, list) in zip(ks, lists) {
            let predicted = NeighborVote.predict(list, k: k, referenceCodes: classes.codes(trainLabels), classCount: classes.count)
            XCTAssertEqual(predicted.map { classes.names[Int($0)] }, preds[String(k)]!, "k=\(k)")
        }
        // Leave-one-out over the distinct training sentences.
        let keep = c["loo_rows"] as! [Int]
        let looTokens = train.selecting(keep)
        let looLabels = keep.map { trainLabels[$0] }
        let looClasses = ClassLabels(looLabels)
        let looPreds = c["loo_predictions"] as! [String: [String]]
        let looKs = looPreds.keys.map { Int($0)! }.sorted()
        let looLists = EditDistanceNeighbors.search(queries: looTokens, references: looTokens, symbols: genes.count, ks: looKs, leaveOneOut: true)
        for (k, list) in zip(looKs, looLists) {
            let predicted = NeighborVote.predict(list, k: k, referenceCodes: looClasses.codes(looLabels), classCount: looClasses.count)
            XCTAssertEqual(predicted.map { looClasses.names[Int($0)] }, looPreds[String(k)]!, "leave-one-out k=\(k)")
        }
    }

    func testEditDistanceOfLongSequencesMatchesRapidfuzz() throws {
        for case let p as [String: Any] in try fixture()["edit_long"] as! [Any] {
            let a = (p["a"] as! [Int]).map(Int32.init), b = (p["b"] as! [Int]).map(Int32.init)
            let expected = p["distance"] as! Int
            XCTAssertEqual(EditDistance.distance(a, b), expected, "lengths \(a.count), \(b.count)")
            XCTAssertEqual(EditDistance.distance(b, a), expected, "lengths \(b.count), \(a.count)")
            // The eight-lane search kernel, with the pair among other references.
            let queries = TokenSequences(tokens: a, offsets: [0, a.count])
            var refTokens: [Int32] = [], offsets = [0]
            for r in 0..<11 {
                refTokens += r == 9 ? b : Array(b.prefix(r))
                offsets.append(refTokens.count)
            }
            let refs = TokenSequences(tokens: refTokens, offsets: offsets)
            let row = EditDistanceNeighbors.matrix(queries: queries, references: refs, symbols: 20)
            XCTAssertEqual(row[9], expected)
            for r in 0..<11 where r != 9 { XCTAssertEqual(row[r], dynamicProgramming(a, Array(b.prefix(r)))) }
        }
    }

    /// Wagner-Fischer, with negative tokens equal to nothing.
    func dynamicProgramming(_ a: [Int32], _ b: [Int32]) -> Int {
        var previous = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...max(1, b.count) where !b.isEmpty {
                let same = a[i - 1] >= 0 && a[i - 1] == b[j - 1]
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (same ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    func testEditDistanceAgainstDynamicProgrammingOnRandomSequences() {
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<300 {
            let n = Int(rng.next() % 150), m = Int(rng.next() % 150)
            let a = (0..<n).map { _ in Int32(Int(rng.next() % 9) - 1) }
            let b = (0..<m).map { _ in Int32(Int(rng.next() % 9) - 1) }
            XCTAssertEqual(EditDistance.distance(a, b), dynamicProgramming(a, b), "\(a) vs \(b)")
        }
    }

    // MARK: PCA

    /// Both ways of fitting (genes x genes covariance, cells x cells Gram matrix) give
    /// scikit-learn's components.
    func testPCAMatchesScikitLearnCovarianceEigh() throws {
        let c = try fixture()["pca"] as! [String: Any]
        let x = rows(matrix(c["x"])), y = rows(matrix(c["y"]))
        for pca in [try PrincipalComponents.fit(x, components: 4), try PrincipalComponents.fitByGram(x, components: 4, threads: 2)] {
        let components = matrix(c["components"])
        for i in 0..<4 {
            for j in 0..<x.columnCount { assertClose(pca.components[i * x.columnCount + j], components[i][j], "component \(i) gene \(j)") }
        }
        for (a, b) in zip(pca.mean, doubles(c["mean"])) { assertClose(a, b) }
        for (a, b) in zip(pca.explainedVariance, doubles(c["explained_variance"])) { assertClose(a, b) }
        for (a, b) in zip(pca.explainedVarianceRatio, doubles(c["explained_variance_ratio"])) { assertClose(a, b) }
        for (name, input) in [("transform_x", x), ("transform_y", y)] {
            let scores = pca.transform(input).dense()
            let expected = matrix(c[name]).flatMap { $0 }
            XCTAssertEqual(scores.count, expected.count)
            for (a, b) in zip(scores, expected) { assertClose(a, b, name) }
        }
        }
        XCTAssertThrowsError(try PrincipalComponents.fit(x, components: 13))
    }

    // MARK: agreement and profiles

    func testAgreementMatchesScipyAndScikitLearn() throws {
        for case let c as [String: Any] in try fixture()["agreement"] as! [Any] {
            let a = doubles(c["a"]), b = doubles(c["b"])
            assertClose(Agreement.pearson(a, b), number(c["pearson"]), "pearson \(a) \(b)")
            assertClose(Agreement.spearman(a, b), number(c["spearman"]), "spearman \(a) \(b)")
            assertClose(Agreement.rSquared(truth: a, predicted: b), number(c["r2"]), "r2 \(a) \(b)")
        }
    }

    func testMeanProfilesMatchReference() throws {
        let c = try fixture()["mean_profiles"] as! [String: Any]
        let result = MeanProfiles.compare(generated: rows(matrix(c["generated"])), generatedLabels: strings(c["generated_labels"]),
                                          real: rows(matrix(c["real"])), realLabels: strings(c["real_labels"]))
        let expected = c["per_type"] as! [[String: Any]]
        XCTAssertEqual(result.perType.map(\.label), expected.map { $0["label"] as! String })
        for (ours, e) in zip(result.perType, expected) {
            XCTAssertEqual(ours.generatedCells, e["generated_cells"] as! Int)
            XCTAssertEqual(ours.realCells, e["real_cells"] as! Int)
            assertClose(ours.pearson, number(e["pearson"]), "pearson \(ours.label)")
            assertClose(ours.spearman, number(e["spearman"]), "spearman \(ours.label)")
            assertClose(ours.r2, number(e["r2"]), "r2 \(ours.label)")
        }
        XCTAssertEqual(result.onlyGenerated, ["OnlyGen"])
        XCTAssertEqual(result.onlyReal, ["OnlyReal"])
        XCTAssertTrue(result.perType.contains { $0.pearson.isNaN }, "the constant profile gives NaN")
        let json = String(decoding: try MetricsFile.encode(result), as: UTF8.self)
        XCTAssertTrue(json.contains("\"pearson\" : null"), "NaN is written as null")
    }

    func testSentenceQualityMatchesReference() throws {
        let c = try fixture()["sentence_quality"] as! [String: Any]
        let q = SentenceQuality(sentences: strings(c["sentences"]), lookup: GeneLookup(strings(c["genes"])))
        let e = c["expected"] as! [String: Any]
        XCTAssertEqual(q.words, e["words"] as! Int)
        XCTAssertEqual(q.validWords, e["valid_words"] as! Int)
        XCTAssertEqual(q.uniqueGenes, e["unique_genes"] as! Int)
        XCTAssertEqual(q.emptySentences, e["empty"] as! Int)
        XCTAssertEqual(q.minLength, e["min_length"] as! Int)
        XCTAssertEqual(q.maxLength, e["max_length"] as! Int)
        for (ours, key) in [(q.validity, "validity"), (q.uniqueness, "uniqueness"), (q.meanValidity, "mean_validity"),
                            (q.meanUniqueness, "mean_uniqueness"), (q.meanLength, "mean_length"), (q.medianLength, "median_length")] {
            assertClose(ours, number(e[key]), key)
        }
    }

    // MARK: MMD and GW

    func testMMDMatchesScikitLearnRBF() throws {
        let c = try fixture()["mmd"] as! [String: Any]
        let x = matrix(c["x"]), y = matrix(c["y"])
        let r = MaximumMeanDiscrepancy.compute(x.flatMap { $0 }, rows: x.count, y.flatMap { $0 }, rows: y.count, dimensions: x[0].count)
        assertClose(r.medianDistance, number(c["median_distance"]), "median")
        assertClose(r.gamma, number(c["gamma"]), "gamma")
        assertClose(r.mmd2Biased, number(c["mmd2_biased"]), "biased")
        assertClose(r.mmd2Unbiased, number(c["mmd2_unbiased"]), "unbiased")
    }

    func testGromovWassersteinMatchesPOT() throws {
        let section = try fixture()["gw"] as! [String: Any]
        for case let c as [String: Any] in section["cases"] as! [Any] {
            let c1 = matrix(c["c1"]), c2 = matrix(c["c2"])
            var settings = GromovWassersteinSettings()
            settings.epsilon = number(c["epsilon"])
            for threads in [1, 2] {
                let r = try GromovWasserstein.solve(c1.flatMap { $0 }, n: c1.count, c2.flatMap { $0 }, m: c2.count,
                                                    settings: settings, threads: threads)
                assertClose(r.loss, number(c["loss"]), "epsilon \(settings.epsilon)")
                XCTAssertLessThan(r.massError, 1e-6)
            }
        }
        // Distances from points equal scipy's cdist as used for the first case.
        let x = matrix(section["points_x"]), y = matrix(section["points_y"])
        let c1 = PairwiseDistances.within(x.flatMap { $0 }, rows: x.count, dimensions: x[0].count)
        let c2 = PairwiseDistances.within(y.flatMap { $0 }, rows: y.count, dimensions: y[0].count)
        let scale = c2.max()!
        let first = (section["cases"] as! [[String: Any]])[0]
        let expected = matrix(first["c1"]).flatMap { $0 }
        for (a, b) in zip(c1.map { $0 / scale }, expected) { assertClose(a, b, "distance") }
    }

    // MARK: perturbation

    func testPerturbationMatchesReference() throws {
        let c = try fixture()["perturbation"] as! [String: Any]
        let control = rows(matrix(c["control"])), truth = rows(matrix(c["true"])), predicted = rows(matrix(c["predicted"]))
        let mc = control.mean(rows: Array(0..<control.rowCount))
        let dTrue = PerturbationResponse.difference(truth.mean(rows: Array(0..<truth.rowCount)), mc)
        let dPred = PerturbationResponse.difference(predicted.mean(rows: Array(0..<predicted.rowCount)), mc)
        XCTAssertEqual(PerturbationResponse.deRanking(trueResponse: dTrue), c["de_order"] as! [Int])
        let topN: [Int?] = (c["top_n"] as! [Any]).map { $0 as? Int }
        let ours = PerturbationResponse.correlations(predicted: dPred, truth: dTrue, topN: topN)
        for (o, e) in zip(ours, c["correlations"] as! [[String: Any]]) {
            XCTAssertEqual(o.genes, e["genes"] as! Int)
            assertClose(o.pearson, number(e["pearson"]), "top \(String(describing: o.topN))")
        }
        let types = c["training_types"] as! [[String: Any]]
        let controls = types.map { t -> [Double] in let m = rows(matrix(t["control"])); return m.mean(rows: Array(0..<m.rowCount)) }
        let perturbed = types.map { t -> [Double] in let m = rows(matrix(t["perturbed"])); return m.mean(rows: Array(0..<m.rowCount)) }
        let baseline = PerturbationResponse.meanResponse(controlMeans: controls, perturbedMeans: perturbed)
        for (a, b) in zip(baseline, doubles(c["baseline_response"])) { assertClose(a, b, "baseline response") }
        let baseCorr = PerturbationResponse.correlations(predicted: baseline, truth: dTrue, topN: topN)
        for (o, e) in zip(baseCorr, c["baseline_correlations"] as! [[String: Any]]) {
            assertClose(o.pearson, number(e["pearson"]), "baseline top \(String(describing: o.topN))")
        }
    }
}

/// SplitMix64 for test data.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
