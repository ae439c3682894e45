import CHDF5
import Foundation

/// A dense row-major float matrix for `obsm` (for example an embedding: one row per cell).
public typealias DenseFloatMatrix = (rows: Int, cols: Int, values: [Float])

/// Writes AnnData `.h5ad` files that Python anndata (0.8 and later) and `H5ADSource` read.
///
/// Layout, matching what anndata itself writes: `X` as a gzip-compressed, chunked `csr_matrix`
/// group (`data` float32, or int32 for counts; `indices` and `indptr` int32, both int64 once
/// there are more than 2^31 - 1 stored entries); `obs` and `var`
/// as `dataframe` groups (string index `_index`; categorical columns as `codes` + `categories`;
/// text as `string-array`; numbers and booleans as `array`); `obsm` with dense float32 arrays;
/// empty `layers`, `obsp`, `varm`, `varp` and `uns` dicts.
///
/// The file is written under a temporary name in the target folder and renamed into place at
/// the end, so an interrupted or failed write never leaves a file that looks whole.
public enum H5ADWriter {
    /// Writes a matrix held in memory (`matrix.rowCount` cells by `vars.rowCount` genes).
    /// - Parameters:
    ///   - countsAsIntegers: store `X/data` as int32 (the values must be whole numbers)
    ///     instead of float32.
    ///   - obsm: dense per-cell matrices (each with one row per cell), e.g. `X_pca`.
    public static func write(
        path: String, matrix: CSRRows, obs: DataFrame, vars: DataFrame,
        countsAsIntegers: Bool = false, obsm: [String: DenseFloatMatrix] = [:]
    ) throws {
        let writer = try H5ADStreamWriter(path: path, geneCount: vars.rowCount, vars: vars, countsAsIntegers: countsAsIntegers)
        try writer.append(matrix)
        try writer.finish(obs: obs, obsm: obsm)
    }
}

/// Writes an `.h5ad` file whose matrix arrives in blocks of cells, with memory that does not
/// grow with the matrix (only the row pointers, 8 bytes per cell, are kept until the end).
///
/// Use from one thread. Call `append` for consecutive blocks of cells, then `finish(obs:)`.
/// Any error, `cancel()`, or dropping the writer before `finish` removes the temporary file.
public final class H5ADStreamWriter {
    /// The file the writer produces once finished.
    public let path: String
    public let geneCount: Int
    public let countsAsIntegers: Bool
    /// Cells appended so far.
    public private(set) var rowCount = 0
    /// Stored entries appended so far.
    public private(set) var storedCount = 0
    /// The temporary file being written (renamed to `path` by `finish`).
    public var temporaryPath: String { claim.temporary }
    /// The claim on `path` (`AtomicOutput`): a second run writing the same file stops, and an
    /// interrupted run's temporary is removed by the next run into the same place.
    private let claim: AtomicOutput

    private enum State { case open, finished, cancelled }
    private var state = State.open
    private var file: H5File?
    private var root: H5Group?
    private var xGroup: H5Group?
    private var dataSet: H5Dataset?
    private var indicesSet: H5Dataset?
    /// Whether `X/indices` has been widened to int64 (more than `Int32.max` stored entries).
    private var wideIndices = false
    /// Stored entries beyond which indices and indptr become int64 (lowered by tests).
    var narrowIndexLimit = Int(Int32.max)
    private var indptr: [Int64] = [0]
    private var pendingIndices: [Int32] = []
    private var pendingFloats: [Float] = []
    private var pendingInts: [Int32] = []
    private var written = 0
    private let chunk: Int

    /// Elements per HDF5 chunk of `X/data` and `X/indices`.
    public static let defaultChunk = 1 << 16
    /// gzip level of `X/data` and `X/indices`. With the byte shuffle, level 1 gives files about
    /// 30 % smaller than h5py's level 4 without shuffle, and compresses about 1.6x faster than level 4.
    public static let defaultCompressionLevel = 1
    private let compressionLevel: Int

    /// Starts a file for `geneCount` genes described by `vars` (whose row count must match).
    /// `chunk` (elements per HDF5 chunk) and `compressionLevel` (gzip, 0-9) tune the matrix storage.
    public init(
        path: String, geneCount: Int, vars: DataFrame, countsAsIntegers: Bool,
        chunk: Int = H5ADStreamWriter.defaultChunk, compressionLevel: Int = H5ADStreamWriter.defaultCompressionLevel
    ) throws {
        self.path = path
        self.compressionLevel = compressionLevel
        self.geneCount = geneCount
        self.countsAsIntegers = countsAsIntegers
        self.chunk = max(1, chunk)
        try H5ADStreamWriter.checkWritable(path)
        // Callers decide on replacing an existing file (--overwrite) before they get here.
        claim = try AtomicOutput(path, folder: false, overwrite: true)
        guard vars.rowCount == geneCount else {
            throw FileError(path, "var has \(vars.rowCount) rows but the matrix has \(geneCount) genes")
        }
        guard geneCount <= Int(Int32.max) else {
            throw FileError(path, "\(geneCount) genes do not fit 32-bit column indices")
        }
        do {
            let file: H5File
            do {
                file = try H5File(creatingAt: temporaryPath)
            } catch {
                throw FileError(path, "cannot create the output file in its folder (\(String(cString: strerror(errno))))")
            }
            self.file = file
            let root = try file.root()
            self.root = root
            try root.attributes.write("encoding-type", string: "anndata")
            try root.attributes.write("encoding-version", string: "0.1.0")

            let x = try root.createGroup("X")
            xGroup = x
            try x.attributes.write("encoding-type", string: "csr_matrix")
            try x.attributes.write("encoding-version", string: "0.1.0")
            if countsAsIntegers {
                dataSet = try x.createExtendable("data", Int32.self, chunk: self.chunk, level: compressionLevel)
            } else {
                dataSet = try x.createExtendable("data", Float.self, chunk: self.chunk, level: compressionLevel)
            }
            indicesSet = try x.createExtendable("indices", Int32.self, chunk: self.chunk, level: compressionLevel)

            try AnnDataWriting.writeDataFrame(vars, in: root, name: "var", rows: geneCount, role: "var")
        } catch {
            discard()
            throw relabel(error)
        }
    }

    deinit {
        if state == .open { discard() }
    }

    /// Appends the next block of cells. Column indices must lie in `0..<geneCount`; the block's
    /// `firstRow` is not used (blocks are stored in the order they are appended).
    public func append(_ rows: CSRRows) throws {
        try checkOpen()
        do {
            let lo = rows.indptr[0], hi = rows.indptr[rows.rowCount]
            let limit = Int32(truncatingIfNeeded: geneCount)
            var bad: Int32 = 0, badAt = -1
            rows.indices.withUnsafeBufferPointer { idx in
                for k in lo..<hi where idx[k] < 0 || idx[k] >= limit { bad = idx[k]; badAt = k; break }
            }
            if badAt >= 0 {
                throw FileError(path, "column index \(bad) of cell \(rowCount + (rows.indptr.firstIndex { $0 > badAt } ?? 1) - 1) is outside the \(geneCount) genes")
            }
            indptr.reserveCapacity(indptr.count + rows.rowCount)
            for r in 0..<rows.rowCount {
                indptr.append(Int64(storedCount + rows.indptr[r + 1] - lo))
            }
            pendingIndices.append(contentsOf: rows.indices[lo..<hi])
            if countsAsIntegers {
                pendingInts.reserveCapacity(pendingInts.count + hi - lo)
                try rows.values.withUnsafeBufferPointer { v in
                    for k in lo..<hi {
                        let x = v[k]
                        guard x == x.rounded(), abs(x) <= 2_147_483_520 else {
                            throw FileError(path, "value \(x) in cell \(rowCount + (rows.indptr.firstIndex { $0 > k } ?? 1) - 1) is not a whole count; write the matrix as floats")
                        }
                        pendingInts.append(Int32(x))
                    }
                }
            } else {
                pendingFloats.append(contentsOf: rows.values[lo..<hi])
            }
            rowCount += rows.rowCount
            storedCount += hi - lo
            try flush(final: false)
        } catch {
            discard()
            throw relabel(error)
        }
    }

    /// Writes the row pointers, the shape and the cell table, then moves the file into place.
    /// `obs` must have one row per appended cell; `obsm` matrices one row per cell.
    public func finish(obs: DataFrame, obsm: [String: DenseFloatMatrix] = [:]) throws {
        try checkOpen()
        do {
            guard let root, let xGroup, let file else { throw FileError(path, "writer is closed") }
            try flush(final: true)
            // indptr and indices share one integer width, as scipy requires (anndata hands both
            // to scipy unchanged; mixed widths make e.g. `eliminate_zeros` fail).
            if wideIndices {
                try xGroup.write("indptr", indptr, compress: true)
            } else {
                try xGroup.write("indptr", indptr.map { Int32(truncatingIfNeeded: $0) }, compress: true)
            }
            try xGroup.attributes.write("shape", integers: [Int64(rowCount), Int64(geneCount)])
            try AnnDataWriting.writeDataFrame(obs, in: root, name: "obs", rows: rowCount, role: "obs")
            let obsmGroup = try AnnDataWriting.dictGroup(root, "obsm")
            for name in obsm.keys.sorted() {
                let m = obsm[name]!
                try AnnDataWriting.checkName(name, role: "obsm", path: path)
                guard m.rows == rowCount, m.cols >= 0, m.values.count == m.rows * m.cols else {
                    throw FileError(path, "obsm '\(name)' is \(m.rows) x \(m.cols) with \(m.values.count) values; expected \(rowCount) rows (one per cell)")
                }
                let ds = try obsmGroup.write(name, m.values, shape: [m.rows, m.cols], compress: true)
                try AnnDataWriting.encoding(ds.attributes, "array", "0.2.0")
            }
            for name in ["layers", "obsp", "varm", "varp", "uns"] {
                _ = try AnnDataWriting.dictGroup(root, name)
            }
            guard H5Fflush(file.id, H5F_SCOPE_GLOBAL) >= 0 else {
                throw FileError(path, "cannot write the output file (disk full?)")
            }
        } catch {
            discard()
            throw relabel(error)
        }
        closeHandles()
        do { try claim.commit() } catch {
            state = .cancelled
            throw error
        }
        state = .finished
    }

    /// Abandons the file: closes it and removes the temporary file. Safe to call more than once.
    public func cancel() {
        if state == .open { discard() }
    }

    // MARK: internals

    private func checkOpen() throws {
        switch state {
        case .open: return
        case .finished: throw FileError(path, "the file is already finished")
        case .cancelled: throw FileError(path, "the write was cancelled after an earlier error")
        }
    }

    /// Writes whole chunks of the pending entries (everything when `final`), so that no chunk is
    /// written twice.
    private func flush(final: Bool) throws {
        if !wideIndices && storedCount > narrowIndexLimit { try widenIndices() }
        guard let dataSet, let indicesSet else { return }
        let n = final ? pendingIndices.count : (pendingIndices.count / chunk) * chunk
        guard n > 0 else { return }
        if wideIndices {
            let wide = pendingIndices[0..<n].map { Int64($0) }
            try wide.withUnsafeBufferPointer { try indicesSet.append($0, at: written) }
        } else {
            try pendingIndices.withUnsafeBufferPointer { try indicesSet.append(UnsafeBufferPointer(rebasing: $0[0..<n]), at: written) }
        }
        if countsAsIntegers {
            try pendingInts.withUnsafeBufferPointer { try dataSet.append(UnsafeBufferPointer(rebasing: $0[0..<n]), at: written) }
            pendingInts.removeFirst(n)
        } else {
            try pendingFloats.withUnsafeBufferPointer { try dataSet.append(UnsafeBufferPointer(rebasing: $0[0..<n]), at: written) }
            pendingFloats.removeFirst(n)
        }
        pendingIndices.removeFirst(n)
        written += n
    }

    /// Rewrites `X/indices` as int64 once the stored entries outgrow int32 row pointers (scipy
    /// wants indices and indptr of one width). The int32 copy's space is not reclaimed.
    private func widenIndices() throws {
        guard let xGroup, let narrow = indicesSet else { return }
        let wide = try xGroup.createExtendable("indices64", Int64.self, chunk: chunk, level: compressionLevel)
        let step = chunk * 16
        var buffer = [Int32](repeating: 0, count: step)
        var offset = 0
        while offset < written {
            let n = min(step, written - offset)
            try buffer.withUnsafeMutableBufferPointer { try narrow.read(Int32.self, into: $0.baseAddress!, start: offset, count: n) }
            let converted = buffer[0..<n].map { Int64($0) }
            try converted.withUnsafeBufferPointer { try wide.append($0, at: offset) }
            offset += n
        }
        indicesSet = nil
        guard H5Ldelete(xGroup.id, "indices", HDF5.defaultPlist) >= 0,
              H5Lmove(xGroup.id, "indices64", xGroup.id, "indices", HDF5.defaultPlist, HDF5.defaultPlist) >= 0 else {
            throw FileError(path, "cannot widen X/indices to 64 bits")
        }
        indicesSet = wide
        wideIndices = true
    }

    private func closeHandles() {
        dataSet = nil
        indicesSet = nil
        xGroup = nil
        root = nil
        file = nil  // the last reference: H5Fclose
        pendingIndices = []
        pendingFloats = []
        pendingInts = []
    }

    /// Closes and removes the temporary file.
    private func discard() {
        closeHandles()
        claim.cancel()
        state = .cancelled
    }

    /// Errors from the HDF5 layer name the temporary file; report the path the user gave.
    private func relabel(_ error: Error) -> Error {
        if let e = error as? FileError, e.path == temporaryPath { return FileError(path, e.problem) }
        return error
    }

    /// Checks that `path`'s folder exists and can take a new file, with messages that say which.
    static func checkWritable(_ path: String) throws {
        guard !path.isEmpty else { throw FileError(path, "empty output path") }
        let folder = (path as NSString).deletingLastPathComponent
        let dir = folder.isEmpty ? "." : folder
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) else {
            throw FileError(path, "cannot write: folder '\(dir)' does not exist")
        }
        guard isDir.boolValue else { throw FileError(path, "cannot write: '\(dir)' is not a folder") }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            throw FileError(path, "cannot write: a folder of that name exists")
        }
        guard access(dir, W_OK) == 0 else {
            throw FileError(path, "cannot write: no permission to create files in folder '\(dir)'")
        }
    }
}

/// The pieces of the AnnData on-disk format shared by the writers.
enum AnnDataWriting {
    static func encoding(_ attributes: H5Attributes, _ type: String, _ version: String) throws {
        try attributes.write("encoding-type", string: type)
        try attributes.write("encoding-version", string: version)
    }

    static func dictGroup(_ root: H5Group, _ name: String) throws -> H5Group {
        let g = try root.createGroup(name)
        try encoding(g.attributes, "dict", "0.1.0")
        return g
    }

    static func checkName(_ name: String, role: String, path: String) throws {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw FileError(path, "\(role) name '\(name)' cannot be stored in HDF5 (empty, '.', '..' or containing '/')")
        }
    }

    /// Writes `frame` as an AnnData dataframe group `name` under `parent`.
    static func writeDataFrame(_ frame: DataFrame, in parent: H5Group, name: String, rows: Int, role: String) throws {
        let path = parent.file.path
        guard frame.rowCount == rows else {
            throw FileError(path, "\(role) has \(frame.rowCount) rows, expected \(rows)")
        }
        var seen = Set<String>()
        for column in frame.columns {
            try checkName(column.name, role: "\(role) column", path: path)
            guard column.name != "_index" else { throw FileError(path, "\(role) column name '_index' is reserved for the index") }
            guard seen.insert(column.name).inserted else { throw FileError(path, "\(role) has two columns named '\(column.name)'") }
            guard column.values.count == rows else {
                throw FileError(path, "\(role) column '\(column.name)' has \(column.values.count) entries, expected \(rows)")
            }
        }
        let g = try parent.createGroup(name)
        try g.attributes.write("_index", string: "_index")
        if frame.columns.isEmpty {
            // h5py stores an empty list as an empty float64 array; anndata writes and expects that.
            try g.attributes.writeEmptyFloatArray("column-order")
        } else {
            try g.attributes.write("column-order", strings: frame.columnNames)
        }
        try encoding(g.attributes, "dataframe", "0.2.0")
        let index = try g.writeStrings("_index", frame.index, compress: true)
        try encoding(index.attributes, "string-array", "0.2.0")
        for column in frame.columns {
            try writeColumn(column, in: g)
        }
    }

    static func writeColumn(_ column: Column, in g: H5Group) throws {
        let name = column.name
        switch column.values {
        case .strings(let v):
            let ds = try g.writeStrings(name, v, compress: true)
            try encoding(ds.attributes, "string-array", "0.2.0")
        case .integers(let v):
            let ds = try g.write(name, v, compress: true)
            try encoding(ds.attributes, "array", "0.2.0")
        case .reals(let v):
            let ds = try g.write(name, v, compress: true)
            try encoding(ds.attributes, "array", "0.2.0")
        case .bools(let v):
            let ds = try g.writeBools(name, v)
            try encoding(ds.attributes, "array", "0.2.0")
        case .categorical(let codes, let categories):
            let path = g.file.path
            guard Set(categories).count == categories.count else {
                throw FileError(path, "categorical column '\(name)' has repeated categories")
            }
            let n = Int32(categories.count)
            for c in codes where c < -1 || c >= n {
                throw FileError(path, "categorical column '\(name)' has code \(c) outside its \(n) categories")
            }
            let cg = try g.createGroup(name)
            try encoding(cg.attributes, "categorical", "0.2.0")
            try cg.attributes.write("ordered", bool: false)
            // The narrowest type that holds every code, as pandas chooses.
            let codesSet: H5Dataset
            if categories.count <= Int(Int8.max) {
                codesSet = try cg.write("codes", codes.map { Int8($0) }, compress: true)
            } else if categories.count <= Int(Int16.max) {
                codesSet = try cg.write("codes", codes.map { Int16($0) }, compress: true)
            } else {
                codesSet = try cg.write("codes", codes, compress: true)
            }
            try encoding(codesSet.attributes, "array", "0.2.0")
            let cats = try cg.writeStrings("categories", categories, compress: true)
            try encoding(cats.attributes, "string-array", "0.2.0")
        }
    }
}

extension H5Attributes {
    /// Writes an empty float64 array attribute: what h5py stores for an empty Python list.
    func writeEmptyFloatArray(_ name: String) throws {
        var dims: [hsize_t] = [0]
        let space = H5Screate_simple(1, &dims, nil)
        defer { H5Sclose(space) }
        let aid = H5Acreate2(objectID, name, c2s_H5T_IEEE_F64LE(), space, HDF5.defaultPlist, HDF5.defaultPlist)
        guard aid >= 0 else { throw FileError(file.path, "cannot write attribute \(name) of \(objectPath)") }
        H5Aclose(aid)
    }
}

