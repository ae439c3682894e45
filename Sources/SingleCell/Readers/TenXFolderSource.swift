import Foundation

/// A 10x Genomics (Cell Ranger) matrix folder: `matrix.mtx[.gz]`, `features.tsv[.gz]` (or the
/// older `genes.tsv[.gz]`) and `barcodes.tsv[.gz]`.
///
/// The matrix is stored genes x cells; it is read whole and transposed to cells x genes. File
/// names may carry a common prefix, as on GEO (`GSM123_matrix.mtx.gz`, `GSM123_barcodes.tsv.gz`).
/// As in scanpy, only "Gene Expression" features are kept when the features file lists other
/// kinds (antibody capture, CRISPR guides); that is reported in `warnings`.
public final class TenXFolderSource: ExpressionSource {
    /// The folder (or matrix file) as the user named it.
    public let path: String
    /// The three files that were read.
    public let matrixFile: String
    public let featuresFile: String
    public let barcodesFile: String
    public let obs: DataFrame
    public let genes: DataFrame
    public let geneNames: [String]
    public let warnings: [String]
    private let matrix: InMemorySource

    public var cellCount: Int { matrix.cellCount }
    public var geneCount: Int { geneNames.count }
    public var streams: Bool { false }

    /// Opens a 10x folder, or the `matrix.mtx[.gz]` inside one.
    ///
    /// - Parameters:
    ///   - geneIDs: name genes by their ids (first column, e.g. Ensembl) instead of symbols.
    ///   - geneColumn: name genes by this `var` column instead (`gene_ids`, `gene_symbols`, `feature_types`).
    public init(path: String, geneIDs: Bool = false, geneColumn: String? = nil) throws {
        self.path = path
        let files = try TenXFolderFiles(path)
        matrixFile = files.matrix
        featuresFile = files.features
        barcodesFile = files.barcodes

        let features = try TenXFeatures.read(files.features)
        let barcodes = try TenXFeatures.readNames(files.barcodes)
        let coordinates = try MatrixMarketReader.read(files.matrix)
        let matrixName = (files.matrix as NSString).lastPathComponent
        guard features.count == coordinates.rowCount else {
            throw FileError(files.features, "lists \(features.count) genes but \(matrixName) has \(coordinates.rowCount) rows (genes); the files do not belong together")
        }
        guard barcodes.count == coordinates.columnCount else {
            throw FileError(files.barcodes, "lists \(barcodes.count) barcodes but \(matrixName) has \(coordinates.columnCount) columns (cells); the files do not belong together")
        }
        var csr = try coordinates.csr(transposed: true, path: files.matrix)
        var warnings: [String] = []
        let selection = features.expressionSelection(path: files.features)
        if let selection {
            csr = selection.apply(csr)
            warnings.append(selection.note)
        }
        var genes = try features.frame(geneIDs: geneIDs, path: files.features)
        if let selection { genes = genes.subset(selection.kept) }
        geneNames = try TenXFeatures.geneNames(genes, geneColumn: geneColumn, path: files.features)
        self.genes = genes
        obs = DataFrame(index: barcodes)
        warnings += LayoutHeuristics.transposeWarnings(cellNames: barcodes, geneNames: geneNames, path: path)
        self.warnings = warnings
        matrix = InMemorySource(path: path, matrix: csr, obs: obs, genes: genes, geneNames: geneNames)
    }

    public func readRows(_ range: Range<Int>) throws -> CSRRows { try matrix.readRows(range) }
}

/// Locates the three files of a 10x folder.
struct TenXFolderFiles {
    var matrix: String
    var features: String
    var barcodes: String

    /// `path` is the folder or its matrix file.
    init(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FileError(path, "no such file or directory")
        }
        let folder: String
        let prefix: String
        if isDirectory.boolValue {
            folder = path
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            let matrices = names.filter { $0.hasSuffix("matrix.mtx") || $0.hasSuffix("matrix.mtx.gz") }.sorted()
            guard !matrices.isEmpty else {
                throw FileError(path, "this folder has no matrix.mtx or matrix.mtx.gz, so it is not a 10x matrix folder")
            }
            let prefixes = Set(matrices.map { Self.prefix(of: $0) })
            guard prefixes.count == 1 else {
                throw FileError(path, "this folder holds several matrices (\(matrices.joined(separator: ", "))); give the path of one of them")
            }
            prefix = prefixes.first!
        } else {
            folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
            prefix = Self.prefix(of: (path as NSString).lastPathComponent)
        }
        func find(_ names: [String]) -> String? {
            for name in names {
                for ext in ["", ".gz"] {
                    let candidate = (folder as NSString).appendingPathComponent(prefix + name + ext)
                    if FileManager.default.fileExists(atPath: candidate) { return candidate }
                }
            }
            return nil
        }
        if isDirectory.boolValue {
            guard let m = find(["matrix.mtx"]) else { throw FileError(path, "no \(prefix)matrix.mtx[.gz] in this folder") }
            matrix = m
        } else {
            matrix = path
        }
        guard let f = find(["features.tsv", "genes.tsv"]) else {
            throw FileError(path, "no \(prefix)features.tsv[.gz] or \(prefix)genes.tsv[.gz] next to the matrix; a 10x folder needs it for the gene names")
        }
        guard let b = find(["barcodes.tsv"]) else {
            throw FileError(path, "no \(prefix)barcodes.tsv[.gz] next to the matrix; a 10x folder needs it for the cell barcodes")
        }
        features = f
        barcodes = b
    }

    /// `GSM1_matrix.mtx.gz` -> `GSM1_`; `matrix.mtx` -> "".
    static func prefix(of matrixFileName: String) -> String {
        var name = matrixFileName
        if name.hasSuffix(".gz") { name.removeLast(3) }
        if name.hasSuffix(".mtx") { name.removeLast(4) }
        if name.hasSuffix("matrix") { name.removeLast(6) }
        return name
    }

    /// Whether `path` is a `matrix.mtx[.gz]` with 10x companions (then it is read as a 10x folder).
    static func isTenXMatrix(_ path: String) -> Bool {
        let name = (path as NSString).lastPathComponent
        guard name.hasSuffix("matrix.mtx") || name.hasSuffix("matrix.mtx.gz") else { return false }
        return (try? TenXFolderFiles(path)) != nil
    }
}

/// The gene table of a 10x dataset: ids, names and feature types, from a features/genes file
/// or from the features group of a 10x HDF5 file.
struct TenXFeatures {
    /// First column (Ensembl ids in Cell Ranger output); nil when the file has one column only.
    var ids: [String]?
    /// Gene symbols (second column), or the only column.
    var names: [String]
    /// Third column ("Gene Expression", "Antibody Capture", ...), when present.
    var types: [String]?
    /// Reference genome per feature (10x HDF5 v3 only).
    var genomes: [String]?

    var count: Int { names.count }

    /// Reads a tab-separated features/genes file.
    static func read(_ path: String) throws -> TenXFeatures {
        let reader = try GzipLineReader(path: path)
        var first: [String] = [], second: [String] = [], third: [String] = []
        var columnCount = -1
        while let line = try reader.nextLine() {
            let fields = line.split(separator: 9, maxSplits: 3, omittingEmptySubsequences: false)
            let n = min(fields.count, 3)
            if columnCount < 0 { columnCount = n }
            guard n >= columnCount else {
                throw FileError(path, "line \(reader.lineNumber) has \(n) column\(n == 1 ? "" : "s") but line 1 has \(columnCount)")
            }
            first.append(String(decoding: fields[0], as: UTF8.self))
            if columnCount >= 2 { second.append(String(decoding: fields[1], as: UTF8.self)) }
            if columnCount >= 3 { third.append(String(decoding: fields[2], as: UTF8.self)) }
        }
        if columnCount <= 1 { return TenXFeatures(ids: nil, names: first, types: nil) }
        return TenXFeatures(ids: first, names: second, types: columnCount >= 3 ? third : nil)
    }

    /// The first column of each line (barcodes files have one column; extra ones are ignored).
    static func readNames(_ path: String) throws -> [String] {
        let reader = try GzipLineReader(path: path)
        var names: [String] = []
        while let line = try reader.nextLine() {
            let end = line.firstIndex(of: 9) ?? line.count
            names.append(String(decoding: UnsafeBufferPointer(rebasing: line[0..<end]), as: UTF8.self))
        }
        return names
    }

    /// The `var` table: index = symbols (or ids with `geneIDs`), the other name as a column,
    /// then `feature_types` and `genome` when known.
    func frame(geneIDs: Bool, path: String) throws -> DataFrame {
        var frame: DataFrame
        if geneIDs {
            guard let ids else {
                throw FileError(path, "has only one name per gene, no separate gene ids; drop the gene-ids option")
            }
            frame = DataFrame(index: ids, columns: [Column("gene_symbols", .strings(names))])
        } else {
            frame = DataFrame(index: names, columns: ids.map { [Column("gene_ids", .strings($0))] } ?? [])
        }
        if let types { frame.columns.append(Column("feature_types", .strings(types))) }
        if let genomes { frame.columns.append(Column("genome", .strings(genomes))) }
        return frame
    }

    /// Which features to keep when only some are "Gene Expression"; nil when all are kept.
    func expressionSelection(path: String) -> FeatureSelection? {
        guard let types else { return nil }
        let kept = types.indices.filter { types[$0] == "Gene Expression" }
        guard !kept.isEmpty, kept.count < types.count else { return nil }
        var dropped: [String: Int] = [:]
        for t in types where t != "Gene Expression" { dropped[t, default: 0] += 1 }
        let list = dropped.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        return FeatureSelection(kept: kept, featureCount: types.count,
                                note: "\(path): kept the \(kept.count) Gene Expression features and left out \(list)")
    }

    /// The gene names: the `var` index, or the `geneColumn` column when one is named.
    /// Repeated names are left as they are; the converter resolves them by the user's policy.
    static func geneNames(_ genes: DataFrame, geneColumn: String?, path: String) throws -> [String] {
        guard let geneColumn else { return genes.index }
        guard let column = genes.column(geneColumn) else {
            throw FileError(path, "there is no gene column '\(geneColumn)'; available: \(genes.columnNames.isEmpty ? "none" : genes.columnNames.joined(separator: ", "))")
        }
        return (0..<genes.rowCount).map { column.values.text(at: $0) ?? "" }
    }
}

/// A subset of the features (matrix columns) to keep, with the mapping old -> new column.
struct FeatureSelection {
    /// Old column numbers kept, ascending.
    let kept: [Int]
    /// New column of each old one, or -1 when dropped.
    let newColumn: [Int32]
    let note: String

    init(kept: [Int], featureCount: Int, note: String) {
        self.kept = kept
        self.note = note
        var map = [Int32](repeating: -1, count: featureCount)
        for (new, old) in kept.enumerated() { map[old] = Int32(new) }
        newColumn = map
    }

    /// Drops the entries of left-out features and renumbers the rest.
    func apply(_ block: CSRRows) -> CSRRows {
        var indptr = [Int](repeating: 0, count: block.indptr.count)
        var indices = [Int32]()
        var values = [Float]()
        indices.reserveCapacity(block.indices.count)
        values.reserveCapacity(block.values.count)
        for r in 0..<block.rowCount {
            for k in block.range(ofRow: r) {
                let c = newColumn[Int(block.indices[k])]
                if c >= 0 {
                    indices.append(c)
                    values.append(block.values[k])
                }
            }
            indptr[r + 1] = indices.count
        }
        return CSRRows(firstRow: block.firstRow, indptr: indptr, indices: indices, values: values)
    }
}
