import CellSentences
import Foundation
import SingleCell

/// A count matrix seen through a model's gene vocabulary: gene names resolved as the training
/// data's were (case, duplicates), and only the genes of the vocabulary kept, in input order.
///
/// Converting this source with the training seed and tie order gives a cell exactly the
/// sentence it would have had in training: the ranks see the same genes in the same order (the
/// training vocabulary is what its gene filter kept). Genes the model never saw would only be
/// words it cannot read.
public final class VocabularySource: ExpressionSource {
    let base: ExpressionSource
    let naming: GeneNaming.Result
    /// For each resolved gene, its column here (-1 when not in the vocabulary).
    let keep: [Int32]
    public let geneNames: [String]
    public let genes: DataFrame
    public let warnings: [String]
    /// The input's genes after name resolution (all of them, for the overlap report).
    public let inputGenes: [String]

    public init(_ base: ExpressionSource, vocabulary: [String], naming: GeneNaming) throws {
        self.base = base
        let resolved = try naming.resolve(base.geneNames, path: base.path)
        self.naming = resolved
        let known = Set(vocabulary)
        var keep = [Int32](repeating: -1, count: resolved.names.count)
        var names: [String] = []
        for (i, name) in resolved.names.enumerated() where known.contains(name) {
            keep[i] = Int32(names.count)
            names.append(name)
        }
        self.keep = keep
        geneNames = names
        genes = DataFrame(index: names)
        inputGenes = resolved.names
        warnings = base.warnings + resolved.warnings
    }

    public var path: String { base.path }
    public var cellCount: Int { base.cellCount }
    public var geneCount: Int { geneNames.count }
    public var obs: DataFrame { base.obs }
    public var obsSchema: DataFrame { base.obsSchema }
    public func readObs(_ range: Range<Int>, columns: [String]) throws -> DataFrame { try base.readObs(range, columns: columns) }
    public var streams: Bool { base.streams }

    public func readRows(_ range: Range<Int>) throws -> CSRRows {
        let block = naming.isIdentity ? try base.readRows(range) : naming.remap(try base.readRows(range))
        var out = CSRRows(firstRow: block.firstRow, indptr: [0], indices: [], values: [])
        out.indptr.reserveCapacity(block.rowCount + 1)
        out.indices.reserveCapacity(block.storedCount)
        out.values.reserveCapacity(block.storedCount)
        for r in 0..<block.rowCount {
            for k in block.range(ofRow: r) {
                let c = keep[Int(block.indices[k])]
                guard c >= 0 else { continue }
                out.indices.append(c)
                out.values.append(block.values[k])
            }
            out.indptr.append(out.indices.count)
        }
        return out
    }
}
