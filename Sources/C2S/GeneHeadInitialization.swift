import CellSentences
import Evaluation
import Foundation
import Mechanics
import Prompts
import SingleCell
import Transformer

/// A new model's output head told, before training, which genes go together: each gene
/// token's row of the output head (`[vocabulary, hidden]`) starts as its random row plus the
/// gene's loadings on the top principal components of the training cells' sentences.
///
/// Why: the head scores every gene against the hidden state, and genes of one cell type's
/// programme should rise and fall together; from random rows a small model has to learn that
/// gene by gene, and rare marker genes are seen too rarely to learn it. Measured on
/// kang-ifnb-sub2k with the demo recipe (docs/SCIENCE.md §4a): every figure above the random
/// head's (generated cells' k-NN 16.9 → 20.4 %, separation 18.5 → 26.2 %, annotation 81.0 →
/// 82.0 %); the same loadings added to the input embeddings as well cost annotation.
///
/// The features: each training cell's first `topGenes` genes weighted by rank, log(N + 1) −
/// log(rank) over log(N + 1) (1 for the first gene, near 0 for the N-th, 0 for genes outside
/// the sentence). Weighting by the expression each rank stands for (the dataset's inverse
/// transform, global or per cell type) was measured too and did no better (docs/SCIENCE.md
/// §4a). The genes are the `maximumGenes` most frequent in
/// those sentences (ties by name), the rest keep their random rows. PCA as scikit-learn's
/// (``PrincipalComponents``) with min(hidden, genes, cells − 1) components; a gene's loadings are
/// its entries of the components times √(explained variance), then scaled together so that
/// their mean norm equals the mean norm of the random rows they are added to. Every token that
/// is exactly one gene (`" GENE"` and `"GENE"` of a gene-aware tokenizer) gets its gene's
/// loadings; genes spread over several tokens are left as they are.
public enum GeneHeadInitialization {
    public static let maximumGenes = PrincipalComponents.maximumFeatures

    /// What was done, for the summary.
    public struct Summary: Sendable, Equatable {
        public var cells: Int
        public var genes: Int
        public var components: Int
        public var tokens: Int
        /// The share of the features' variance the components hold.
        public var explainedVariance: Double
    }

    /// Adds the loadings to `model`'s output head. `cells` are the training cells (their
    /// sentences, highest expression first).
    @discardableResult
    public static func apply(to model: any TrainableModel, tokenizer: Tokenizer, cells: [CellRecord], topGenes: Int,
                             threads: Int = Parallel.defaultThreads) throws -> Summary {
        guard cells.count >= 2 else { throw DataError("gene head initialisation needs at least 2 training cells, found \(cells.count)") }
        let n = max(1, topGenes)
        // Genes by frequency in the training sentences.
        var frequency: [Substring: Int] = [:]
        let sentences = cells.map { $0.sentence.split(separator: " ", omittingEmptySubsequences: true).prefix(n) }
        for s in sentences { for g in s { frequency[g, default: 0] += 1 } }
        let genes = frequency.keys.sorted { frequency[$0]! != frequency[$1]! ? frequency[$0]! > frequency[$1]! : $0 < $1 }.prefix(maximumGenes)
        var column: [Substring: Int32] = [:]
        for (j, g) in genes.enumerated() { column[g] = Int32(j) }

        // Rank-weighted features, sparse.
        var indptr = [0], indices: [Int32] = [], values: [Double] = []
        let denominator = log(Double(n + 1))
        for s in sentences {
            var row: [(Int32, Double)] = []
            for (r, g) in s.enumerated() { if let j = column[g] { row.append((j, (denominator - log(Double(r + 1))) / denominator)) } }
            row.sort { $0.0 < $1.0 }
            for (j, v) in row where indices.count == indptr.last! || indices.last! != j { indices.append(j); values.append(v) }
            indptr.append(indices.count)
        }
        let x = FeatureRows(rowCount: cells.count, columnCount: genes.count, indptr: indptr, indices: indices, values: values)
        let d = model.info.hiddenSize
        let k = min(d, genes.count, cells.count - 1)
        guard k >= 1 else { throw DataError("gene head initialisation needs at least 2 genes in the training sentences") }
        let pca = try PrincipalComponents.fit(x, components: k, threads: threads)

        // Tokens that are exactly one gene.
        var targets: [(token: Int, gene: Int)] = []
        for (j, g) in genes.enumerated() {
            for text in [" " + g, String(g)] {
                let ids = tokenizer.encode(text, addSpecialTokens: false)
                if ids.count == 1, Int(ids[0]) < model.info.vocabularySize, !targets.contains(where: { $0.token == Int(ids[0]) }) {
                    targets.append((Int(ids[0]), j))
                }
            }
        }
        guard !targets.isEmpty else {
            throw DataError("no gene of the training sentences is a single token of the tokenizer; gene head initialisation needs a gene-aware tokenizer ('c2s tokenizer train --gene-aware')")
        }

        // Loadings, scaled to the random rows' mean norm.
        let head = model.parameters.pointer(model.outputHeadParameter)
        var loadings = [Double](repeating: 0, count: genes.count * d)
        for j in 0..<genes.count {
            for c in 0..<k { loadings[j * d + c] = pca.components[c * genes.count + j] * pca.explainedVariance[c].squareRoot() }
        }
        func norm(_ p: UnsafePointer<Float>) -> Double { (0..<d).reduce(0) { $0 + Double(p[$1]) * Double(p[$1]) }.squareRoot() }
        let randomNorm = targets.reduce(0) { $0 + norm(head + $1.token * d) } / Double(targets.count)
        let loadingNorm = targets.reduce(0) { acc, t in acc + (0..<d).reduce(0) { $0 + loadings[t.gene * d + $1] * loadings[t.gene * d + $1] }.squareRoot() } / Double(targets.count)
        guard loadingNorm > 0 else { throw DataError("the training sentences do not vary (all principal components are zero)") }
        let scale = randomNorm / loadingNorm
        for t in targets {
            let row = head + t.token * d
            for c in 0..<d { row[c] += Float(scale * loadings[t.gene * d + c]) }
        }
        let total = pca.explainedVarianceRatio.reduce(0, +)
        return Summary(cells: cells.count, genes: genes.count, components: k, tokens: targets.count, explainedVariance: total)
    }
}
