import Foundation

/// Reads a 10x Genomics HDF5 matrix (`filtered_feature_bc_matrix.h5`, `raw_gene_bc_matrices_h5.h5`).
///
/// Two layouts exist: Cell Ranger 3 and later write `/matrix/{data,indices,indptr,shape,barcodes}`
/// with gene ids, names and types in `/matrix/features`; Cell Ranger 2 writes one group per
/// genome, `/<genome>/{data,indices,indptr,shape,barcodes,gene_names,genes}`. Either way the
/// matrix is stored column-compressed as genes x cells, which is byte for byte a row-compressed
/// cells x genes matrix, so cells are streamed from disk like an `.h5ad` CSR matrix.
/// As in scanpy, only "Gene Expression" features are kept when others are present; that is
/// reported in `warnings`.
public final class TenXH5Source: ExpressionSource {
    public let path: String
    public let obs: DataFrame
    public let genes: DataFrame
    public let geneNames: [String]
    public let warnings: [String]
    public var cellCount: Int { reader.rowCount }
    public var geneCount: Int { geneNames.count }
    public var streams: Bool { true }

    private let file: H5File
    private let reader: CSRDatasetReader
    private let selection: FeatureSelection?

    /// Opens a 10x HDF5 file.
    ///
    /// - Parameters:
    ///   - geneIDs: name genes by their ids (e.g. Ensembl) instead of symbols.
    ///   - geneColumn: name genes by this `var` column instead (`gene_ids`, `gene_symbols`, `feature_types`, `genome`).
    public init(path: String, geneIDs: Bool = false, geneColumn: String? = nil) throws {
        self.path = path
        file = try H5File(readingAt: path)
        let root = try file.root()

        let group: H5Group
        var features: TenXFeatures
        if root.kind(of: "matrix") == .group {
            group = try root.group("matrix")
            guard group.kind(of: "features") == .group else {
                throw FileError(path, "/matrix has no 'features' group, so the genes are unknown (is this a Cell Ranger 3+ file?)")
            }
            let table = try group.group("features")
            let ids = table.kind(of: "id") == .dataset ? try table.dataset("id").readStrings() : nil
            guard let names = table.kind(of: "name") == .dataset ? try table.dataset("name").readStrings() : ids else {
                throw FileError(path, "/matrix/features has neither 'name' nor 'id', so the genes are unknown")
            }
            features = TenXFeatures(ids: ids, names: names, types: nil)
            if table.kind(of: "feature_type") == .dataset { features.types = try table.dataset("feature_type").readStrings() }
            if table.kind(of: "genome") == .dataset { features.genomes = try table.dataset("genome").readStrings() }
        } else {
            // Cell Ranger 2: one group per reference genome.
            let genomes = root.memberNames().filter { name in
                guard root.kind(of: name) == .group, let g = try? root.group(name) else { return false }
                return g.contains("barcodes") && (g.contains("gene_names") || g.contains("genes"))
            }
            guard let genome = genomes.first else {
                throw FileError(path, "not a 10x Genomics HDF5 matrix: no /matrix group and no genome group with barcodes and genes")
            }
            guard genomes.count == 1 else {
                throw FileError(path, "holds matrices for several genomes (\(genomes.joined(separator: ", "))); only single-genome files can be read")
            }
            group = try root.group(genome)
            let ids = group.kind(of: "genes") == .dataset ? try group.dataset("genes").readStrings() : nil
            guard let names = group.kind(of: "gene_names") == .dataset ? try group.dataset("gene_names").readStrings() : ids else {
                throw FileError(path, "\(group.path) has neither 'gene_names' nor 'genes' datasets, so the genes are unknown")
            }
            features = TenXFeatures(ids: ids, names: names, types: nil)
        }
        let label = group.path

        let shape = try group.dataset("shape").read(Int64.self)
        guard shape.count == 2, shape[0] >= 0, shape[1] >= 0 else {
            throw FileError(path, "'\(label)/shape' should hold two numbers (genes, cells), found \(shape.count)")
        }
        let geneTotal = Int(shape[0]), cellTotal = Int(shape[1])
        let barcodes = try group.dataset("barcodes").readStrings()
        guard barcodes.count == cellTotal else {
            throw FileError(path, "'\(label)/barcodes' lists \(barcodes.count) barcodes but the matrix has \(cellTotal) cells")
        }
        guard features.count == geneTotal else {
            throw FileError(path, "\(label) lists \(features.count) genes but the matrix has \(geneTotal)")
        }
        reader = try CSRDatasetReader(indptr: try group.dataset("indptr"), indices: try group.dataset("indices"),
                                      data: try group.dataset("data"), rows: cellTotal, columns: geneTotal,
                                      path: path, label: label)

        var warnings: [String] = []
        selection = features.expressionSelection(path: path)
        var genes = try features.frame(geneIDs: geneIDs, path: path)
        if let selection {
            genes = genes.subset(selection.kept)
            warnings.append(selection.note)
        }
        geneNames = try TenXFeatures.geneNames(genes, geneColumn: geneColumn, path: path)
        self.genes = genes
        obs = DataFrame(index: barcodes)
        warnings += LayoutHeuristics.transposeWarnings(cellNames: barcodes, geneNames: geneNames, path: path)
        self.warnings = warnings
    }

    public func readRows(_ range: Range<Int>) throws -> CSRRows {
        let block = try reader.readRows(range)
        return selection?.apply(block) ?? block
    }
}
