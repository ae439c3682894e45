import Foundation

/// Which matrix of an `.h5ad` file to read.
public enum H5ADMatrix: Equatable, Sendable {
    /// The main matrix `X`.
    case x
    /// `layers/<name>`.
    case layer(String)
    /// `raw/X`, with gene names from `raw/var`.
    case raw
}

/// Reads an AnnData `.h5ad` file.
///
/// A CSR matrix is streamed: only the row pointers are held, and `readRows` reads the entries of
/// the requested cells. Dense matrices are streamed by row blocks. CSC matrices cannot be read by
/// row without touching every column, so they are transposed once, through a scratch file, when
/// the file is opened (`CSCDatasetReader`): memory stays flat, and a warning says so.
///
/// With `obsOnDemand`, `obs` stays on disk: its layout is read and checked when the file is
/// opened, and `readObs` reads the rows asked for.
public final class H5ADSource: ExpressionSource {
    public let path: String
    private var heldObs: DataFrame?
    private let obsReader: AnnDataObsReader?
    public let genes: DataFrame
    public let geneNames: [String]
    public private(set) var warnings: [String] = []
    public let cellCount: Int
    public let geneCount: Int

    private enum Layout {
        case csr(CSRDatasetReader)
        case dense(H5Dataset)
        case csc(CSCDatasetReader)
    }
    private let file: H5File
    private let layout: Layout

    /// Every layout is read by row block without holding the matrix (CSC through a scratch file).
    public var streams: Bool { true }

    /// Opens `path`. `geneColumn` names a `var` column to use as gene names instead of the index;
    /// `obsOnDemand` leaves `obs` on disk, to be read by row range.
    public init(path: String, matrix: H5ADMatrix = .x, geneColumn: String? = nil, obsOnDemand: Bool = false) throws {
        self.path = path
        file = try H5File(readingAt: path)
        let root = try file.root()

        let matrixGroup: H5Group
        let matrixName: String
        let varGroupName: String
        switch matrix {
        case .x:
            matrixGroup = root; matrixName = "X"; varGroupName = "var"
        case .layer(let name):
            guard root.kind(of: "layers") == .group, try root.group("layers").contains(name) else {
                let available = root.kind(of: "layers") == .group ? (try root.group("layers").memberNames()) : []
                throw FileError(path, "no layer '\(name)'; layers in this file: \(available.isEmpty ? "none" : available.joined(separator: ", "))")
            }
            matrixGroup = try root.group("layers"); matrixName = name; varGroupName = "var"
        case .raw:
            guard root.kind(of: "raw") == .group else { throw FileError(path, "no raw matrix (raw/X) in this file") }
            matrixGroup = try root.group("raw"); matrixName = "X"; varGroupName = "raw/var"
        }
        let label = matrixGroup.path == "/" ? matrixName : "\(matrixGroup.path)/\(matrixName)".replacingOccurrences(of: "//", with: "/")
        guard let kind = matrixGroup.kind(of: matrixName) else {
            throw FileError(path, "no expression matrix '\(label)' in this file (is it an .h5ad file?)")
        }

        // Shape and storage of the matrix.
        var rows = 0, cols = 0
        var layout: Layout?
        // A CSC matrix is transposed once obs has confirmed its row count: its shape attribute
        // is the only bound on the rows (a CSR matrix's pointers, a dense one's data bound it),
        // and a wrong one is then refused before a pass over every stored value.
        var transposeLater: (indptr: H5Dataset, indices: H5Dataset, data: H5Dataset)?
        switch kind {
        case .dataset:
            let ds = try matrixGroup.dataset(matrixName)
            guard ds.shape.count == 2, ds.isNumeric else {
                throw FileError(path, "'\(label)' is not a 2-D numeric matrix")
            }
            rows = ds.shape[0]; cols = ds.shape[1]
            layout = .dense(ds)
        case .group:
            let g = try matrixGroup.group(matrixName)
            let encoding = g.attributes.string("encoding-type") ?? g.attributes.string("h5sparse_format").map { $0 + "_matrix" } ?? ""
            guard let shape = g.attributes.integers("shape") ?? g.attributes.integers("h5sparse_shape"), shape.count == 2 else {
                throw FileError(path, "sparse matrix '\(label)' has no 'shape' attribute")
            }
            rows = Int(shape[0]); cols = Int(shape[1])
            guard g.contains("indptr"), g.contains("indices"), g.contains("data") else {
                throw FileError(path, "sparse matrix '\(label)' lacks indptr, indices or data")
            }
            let indices = try g.dataset("indices"), data = try g.dataset("data")
            guard data.isNumeric else { throw FileError(path, "'\(label)/data' is not numeric") }
            guard indices.count == data.count else {
                throw FileError(path, "'\(label)': indices has \(indices.count) entries but data has \(data.count)")
            }
            switch encoding {
            case "csr_matrix":
                layout = .csr(try CSRDatasetReader(indptr: try g.dataset("indptr"), indices: indices, data: data, rows: rows, columns: cols, path: path, label: label))
            case "csc_matrix":
                transposeLater = (try g.dataset("indptr"), indices, data)
            default:
                throw FileError(path, "'\(label)' has unsupported encoding '\(encoding)' (expected csr_matrix, csc_matrix or a dense array)")
            }
        case .other:
            throw FileError(path, "'\(label)' is neither a dataset nor a group")
        }
        cellCount = rows
        geneCount = cols

        guard root.kind(of: "obs") == .group else {
            if root.kind(of: "obs") == .dataset {
                throw FileError(path, "obs is stored as a compound dataset (anndata < 0.7); re-save the file with a newer anndata")
            }
            throw FileError(path, "no obs dataframe in this file")
        }
        if obsOnDemand {
            obsReader = try AnnDataObsReader(try root.group("obs"), expectedRows: rows, role: "obs")
            heldObs = nil
        } else {
            obsReader = nil
            heldObs = try AnnDataFrame.read(try root.group("obs"), expectedRows: rows, role: "obs")
        }
        guard let varGroup = try? root.group(varGroupName) else {
            throw FileError(path, "no \(varGroupName) dataframe in this file")
        }
        genes = try AnnDataFrame.read(varGroup, expectedRows: cols, role: varGroupName)
        if let geneColumn {
            guard let column = genes.column(geneColumn) else {
                throw FileError(path, "\(varGroupName) has no column '\(geneColumn)'; columns: \(genes.columnNames.isEmpty ? "none" : genes.columnNames.joined(separator: ", "))")
            }
            geneNames = (0..<cols).map { column.values.text(at: $0) ?? "" }
        } else {
            geneNames = genes.index
        }
        if let (indptr, indices, data) = transposeLater {
            let reader = try CSCDatasetReader(indptr: indptr, indices: indices, data: data, rows: rows, columns: cols, path: path, label: label)
            layout = .csc(reader)
            warnings.append("'\(label)' is stored column-major (CSC): it was transposed through a temporary file in \(reader.scratchFolder) (\(reader.scratchBytes / 1_048_576) MiB, unnamed, freed when reading ends). Store it as CSR to read it directly.")
        }
        self.layout = layout!
        if let obsReader {
            let (count, stride) = LayoutHeuristics.sample(rows)
            let sample = try obsReader.names(start: 0, count: count, stride: stride)
            warnings += LayoutHeuristics.transposeWarnings(cellNameSample: sample, geneNames: geneNames, path: path)
        } else {
            warnings += LayoutHeuristics.transposeWarnings(cellNames: heldObs!.index, geneNames: geneNames, path: path)
        }
    }

    /// The whole obs table; with `obsOnDemand`, read on first use (a read error then stops
    /// the program: streaming code uses `readObs`, which reports errors).
    public var obs: DataFrame {
        if let heldObs { return heldObs }
        do {
            let whole = try obsReader!.read(0..<cellCount, columns: obsReader!.schema.columnNames)
            heldObs = whole
            return whole
        } catch {
            fatalError("\(error)")
        }
    }

    public var obsSchema: DataFrame {
        obsReader?.schema ?? DataFrame(index: [], columns: obs.columns.map { Column($0.name, $0.values.subset([])) })
    }

    public func readObs(_ range: Range<Int>, columns: [String]) throws -> DataFrame {
        precondition(range.lowerBound >= 0 && range.upperBound <= cellCount)
        if let obsReader, heldObs == nil { return try obsReader.read(range, columns: columns) }
        let rows = Array(range)
        return DataFrame(index: Array(obs.index[range]),
                         columns: obs.columns.filter { columns.contains($0.name) }.map { Column($0.name, $0.values.subset(rows)) })
    }

    public func readRows(_ range: Range<Int>) throws -> CSRRows {
        precondition(range.lowerBound >= 0 && range.upperBound <= cellCount)
        switch layout {
        case .csc(let reader):
            return try reader.readRows(range)
        case .dense(let ds):
            let n = range.count * geneCount
            var dense = [Float](repeating: 0, count: n)
            try dense.withUnsafeMutableBufferPointer {
                try ds.read(Float.self, into: $0.baseAddress!, start: range.lowerBound, count: range.count)
            }
            return dense.withUnsafeBufferPointer {
                CSRRows.fromDense($0, rows: range.count, columns: geneCount, firstRow: range.lowerBound)
            }
        case .csr(let reader):
            return try reader.readRows(range)
        }
    }
}
