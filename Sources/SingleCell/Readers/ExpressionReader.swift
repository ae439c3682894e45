import Foundation

/// The count-matrix file formats c2s reads.
public enum InputFormat: String, CaseIterable, Sendable {
    /// AnnData `.h5ad`.
    case h5ad
    /// A 10x Genomics folder (`matrix.mtx`, `features.tsv`, `barcodes.tsv`, optionally gzipped).
    case tenx = "10x"
    /// A 10x Genomics HDF5 file (`filtered_feature_bc_matrix.h5`).
    case tenxH5 = "10x-h5"
    /// A plain Matrix Market file, rows = cells unless genes-as-rows.
    case mtx
    /// Comma-separated text.
    case csv
    /// Tab-separated text.
    case tsv
}

/// How to read an input file.
public struct ReadOptions: Sendable {
    /// The format; nil detects it from the path and contents.
    public var format: InputFormat?
    /// Which matrix of an `.h5ad` to read (X, a layer, or raw).
    public var matrix: H5ADMatrix = .x
    /// A `var` column to take gene names from instead of the index (h5ad, 10x).
    public var geneColumn: String?
    /// Text or Matrix Market input has genes as rows and cells as columns.
    public var genesAsRows = false
    /// 10x input: name genes by their ids (Ensembl) rather than symbols.
    public var geneIDs = false
    /// `.h5ad` input: leave `obs` on disk and read it by row range (`readObs`), so that a pass
    /// over the cells holds one block's metadata; `obs` is then read whole only if asked for.
    public var obsOnDemand = false

    /// Options with every field named; the defaults read `X` (or the only matrix) as it is stored.
    public init(format: InputFormat? = nil, matrix: H5ADMatrix = .x, geneColumn: String? = nil, genesAsRows: Bool = false, geneIDs: Bool = false) {
        self.format = format
        self.matrix = matrix
        self.geneColumn = geneColumn
        self.genesAsRows = genesAsRows
        self.geneIDs = geneIDs
    }
}

/// Opens any supported count matrix as an `ExpressionSource`.
public enum ExpressionReader {
    /// Works out the format of `path`.
    ///
    /// A folder is a 10x folder. An HDF5 file is `.h5ad` when it has `obs` or `X` at the top and
    /// 10x HDF5 when it has `/matrix` or a genome group with `barcodes` and gene names, whatever
    /// its name. Otherwise the name decides: `.mtx[.gz]` (a `matrix.mtx[.gz]` with 10x
    /// `barcodes`/`features` files beside it counts as a 10x folder), `.csv[.gz]`, `.tsv[.gz]`,
    /// `.txt[.gz]`.
    public static func detectFormat(_ path: String) throws -> InputFormat {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FileError(path, "no such file or directory")
        }
        if isDirectory.boolValue { return .tenx }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw FileError(path, "file is not readable (permission denied)")
        }
        if HDF5.isHDF5(path) { return try hdf5Kind(path) }

        var name = (path as NSString).lastPathComponent.lowercased()
        let gzipped = name.hasSuffix(".gz")
        if gzipped { name.removeLast(3) }
        let ext = (name as NSString).pathExtension
        switch ext {
        case "mtx":
            return TenXFolderFiles.isTenXMatrix(path) ? .tenx : .mtx
        case "csv":
            return .csv
        case "tsv", "txt", "tab":
            return .tsv
        case "h5ad", "h5", "hdf5":
            if gzipped {
                throw FileError(path, "HDF5 files must be decompressed before reading (run gunzip on it first)")
            }
            throw FileError(path, "not an HDF5 file (no HDF5 signature), although the name says .\(ext); the file may be truncated or of another kind")
        case "loom", "rds", "rda", "rdata", "h5seurat", "zarr":
            throw FileError(path, ".\(ext) files are not supported; export the counts as .h5ad, a 10x folder, .mtx or .csv")
        default:
            throw FileError(path, "cannot tell the format from the name; give it explicitly (one of \(InputFormat.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
    }

    /// Which kind of HDF5 file `path` is.
    static func hdf5Kind(_ path: String) throws -> InputFormat {
        let root = try H5File(readingAt: path).root()
        if root.contains("obs") || root.contains("X") { return .h5ad }
        if root.kind(of: "matrix") == .group { return .tenxH5 }
        for name in root.memberNames() where root.kind(of: name) == .group {
            if let g = try? root.group(name), g.contains("barcodes") || g.contains("gene_names") { return .tenxH5 }
        }
        let members = root.memberNames()
        throw FileError(path, "HDF5 file is neither AnnData (.h5ad: obs, var, X) nor a 10x Genomics matrix (/matrix); top-level entries: \(members.isEmpty ? "none" : members.joined(separator: ", "))")
    }

    /// Opens `path` with `options`, detecting the format unless `options.format` is set.
    ///
    /// Options that mean nothing for the format (a layer for a CSV file, genes-as-rows for an
    /// `.h5ad`) are errors rather than silently ignored.
    public static func open(_ path: String, options: ReadOptions = .init()) throws -> ExpressionSource {
        guard FileManager.default.fileExists(atPath: path) else {
            throw FileError(path, "no such file or directory")
        }
        let format = try options.format ?? detectFormat(path)
        try check(options, for: format, path: path)
        switch format {
        case .h5ad:
            return try H5ADSource(path: path, matrix: options.matrix, geneColumn: options.geneColumn, obsOnDemand: options.obsOnDemand)
        case .tenx:
            return try TenXFolderSource(path: path, geneIDs: options.geneIDs, geneColumn: options.geneColumn)
        case .tenxH5:
            return try TenXH5Source(path: path, geneIDs: options.geneIDs, geneColumn: options.geneColumn)
        case .mtx:
            return try MatrixMarketReader.source(path: path, genesAsRows: options.genesAsRows, geneIDs: options.geneIDs)
        case .csv:
            return try DelimitedTextSource(path: path, delimiter: UInt8(ascii: ","), genesAsRows: options.genesAsRows)
        case .tsv:
            return try DelimitedTextSource(path: path, delimiter: DelimitedTextSource.delimiter(forName: path) ?? UInt8(ascii: "\t"), genesAsRows: options.genesAsRows)
        }
    }

    /// Rejects options that do not apply to `format`.
    static func check(_ options: ReadOptions, for format: InputFormat, path: String) throws {
        let kind: String
        switch format {
        case .h5ad: kind = ".h5ad"
        case .tenx: kind = "10x folder"
        case .tenxH5: kind = "10x .h5"
        case .mtx: kind = "Matrix Market (.mtx)"
        case .csv, .tsv: kind = "text (.csv/.tsv)"
        }
        if options.matrix != .x && format != .h5ad {
            throw FileError(path, "a layer or raw matrix (--layer, --raw) can only be chosen in .h5ad input; this is \(kind) input")
        }
        if options.genesAsRows && ![.mtx, .csv, .tsv].contains(format) {
            throw FileError(path, "--genes-as-rows applies only to text and .mtx input; \(kind) input always has cells and genes in known places")
        }
        if options.geneColumn != nil && ![.h5ad, .tenx, .tenxH5].contains(format) {
            throw FileError(path, "--gene-column applies only to .h5ad and 10x input; \(kind) input has no gene table to choose a column from")
        }
        if options.geneIDs && ![.tenx, .tenxH5, .mtx].contains(format) {
            throw FileError(path, format == .h5ad
                ? "gene ids can only be chosen for 10x input; for .h5ad use --gene-column with the var column holding the ids"
                : "gene ids can only be chosen for 10x input; \(kind) input names each gene once")
        }
    }
}
