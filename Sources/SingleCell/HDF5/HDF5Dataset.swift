import CHDF5
import Foundation

/// A number type HDF5 can convert to and from in memory.
public protocol H5Scalar: Numeric {
    static var nativeType: hid_t { get }
}

extension Int8: H5Scalar { public static var nativeType: hid_t { c2s_H5T_NATIVE_INT8() } }
extension UInt8: H5Scalar { public static var nativeType: hid_t { c2s_H5T_NATIVE_UINT8() } }
extension Int16: H5Scalar { public static var nativeType: hid_t { c2s_H5T_NATIVE_INT16() } }
extension Int32: H5Scalar { public static var nativeType: hid_t { c2s_H5T_NATIVE_INT32() } }
extension UInt32: H5Scalar { public static var nativeType: hid_t { c2s_H5T_NATIVE_UINT32() } }
extension Int64: H5Scalar { public static var nativeType: hid_t { c2s_H5T_NATIVE_INT64() } }
extension UInt64: H5Scalar { public static var nativeType: hid_t { c2s_H5T_NATIVE_UINT64() } }
extension Float: H5Scalar { public static var nativeType: hid_t { c2s_H5T_NATIVE_FLOAT() } }
extension Double: H5Scalar { public static var nativeType: hid_t { c2s_H5T_NATIVE_DOUBLE() } }

func classify(type tid: hid_t) -> H5ElementClass {
    switch H5Tget_class(tid) {
    case H5T_INTEGER:
        return .integer(signed: H5Tget_sign(tid) == H5T_SGN_2, bytes: Int(H5Tget_size(tid)))
    case H5T_FLOAT:
        return .float(bytes: Int(H5Tget_size(tid)))
    case H5T_STRING:
        return .string(variable: H5Tis_variable_str(tid) > 0)
    case H5T_ENUM:
        // numpy booleans are stored by h5py as an enum {FALSE, TRUE} over int8.
        return H5Tget_nmembers(tid) == 2 ? .boolEnum : .other
    case H5T_REFERENCE:
        return .reference
    default:
        return .other
    }
}

/// An open dataset.
public final class H5Dataset: @unchecked Sendable {
    public let file: H5File
    public let path: String
    let id: hid_t
    /// Dimensions, slowest first.
    public let shape: [Int]
    public let elementClass: H5ElementClass

    init(file: H5File, path: String) throws {
        self.file = file
        self.path = path
        let id = H5Dopen2(file.id, path, HDF5.defaultPlist)
        guard id >= 0 else { throw FileError(file.path, "cannot open dataset \(path) (corrupt file?)") }
        self.id = id
        let space = H5Dget_space(id)
        defer { H5Sclose(space) }
        let rank = Int(H5Sget_simple_extent_ndims(space))
        var dims = [hsize_t](repeating: 0, count: max(rank, 1))
        if rank > 0 { H5Sget_simple_extent_dims(space, &dims, nil) }
        shape = rank > 0 ? dims.map { Int($0) } : []
        let tid = H5Dget_type(id)
        defer { H5Tclose(tid) }
        elementClass = classify(type: tid)
    }

    init(file: H5File, path: String, id: hid_t, shape: [Int], elementClass: H5ElementClass) {
        self.file = file
        self.path = path
        self.id = id
        self.shape = shape
        self.elementClass = elementClass
    }

    deinit { H5Dclose(id) }

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// Number of elements, or nil when the shape a (corrupt) file declares overflows `Int`.
    public var checkedCount: Int? {
        var total = 1
        for n in shape {
            let (product, overflow) = total.multipliedReportingOverflow(by: n)
            if overflow || n < 0 { return nil }
            total = product
        }
        return total
    }

    public var attributes: H5Attributes { H5Attributes(objectID: id, file: file, objectPath: path, owner: self) }

    public var isNumeric: Bool {
        switch elementClass {
        case .integer, .float, .boolEnum: return true
        default: return false
        }
    }

    func readFailure(_ what: String) -> FileError {
        FileError(file.path, "cannot read \(what) of \(path) (truncated or corrupt file?)")
    }

    /// Reads a contiguous run of a 1-D dataset (or of the flattened first axis of a 2-D one when
    /// `rowLength` is given), converting to `T`.
    public func read<T: H5Scalar>(_: T.Type, into buffer: UnsafeMutablePointer<T>, start: Int, count: Int) throws {
        if count == 0 { return }
        let fileSpace = H5Dget_space(id)
        defer { H5Sclose(fileSpace) }
        var offset: [hsize_t]
        var extent: [hsize_t]
        if shape.count <= 1 {
            offset = [hsize_t(start)]
            extent = [hsize_t(count)]
        } else {
            // Rows of a 2-D dataset: start and count are in rows.
            offset = [hsize_t(start)] + [hsize_t](repeating: 0, count: shape.count - 1)
            extent = [hsize_t(count)] + shape.dropFirst().map { hsize_t($0) }
        }
        if !shape.isEmpty {
            H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &offset, nil, &extent, nil)
        }
        let total = extent.reduce(1, { $0 * $1 })
        var memDims = [hsize_t(total)]
        let memSpace = H5Screate_simple(1, &memDims, nil)
        defer { H5Sclose(memSpace) }
        let status: herr_t
        if elementClass == .boolEnum {
            // Enum to integer conversion is not defined in HDF5; read the raw int8 and widen.
            let raw = UnsafeMutablePointer<Int8>.allocate(capacity: Int(total))
            defer { raw.deallocate() }
            let tid = H5Dget_type(id)
            defer { H5Tclose(tid) }
            let memType = H5Tget_native_type(tid, H5T_DIR_ASCEND)
            defer { H5Tclose(memType) }
            status = H5Dread(id, memType, memSpace, fileSpace, HDF5.defaultPlist, raw)
            for i in 0..<Int(total) { buffer[i] = raw[i] != 0 ? 1 : 0 }
        } else {
            status = H5Dread(id, T.nativeType, memSpace, fileSpace, HDF5.defaultPlist, buffer)
        }
        guard status >= 0 else { throw readFailure("elements \(start)..<\(start + count)") }
    }

    /// Reads `count` elements (rows for 2-D) from `start` into a new array.
    public func read<T: H5Scalar>(_ type: T.Type, start: Int = 0, count: Int? = nil) throws -> [T] {
        let rows = count ?? (shape.first ?? 1)
        let rowLength = shape.count > 1 ? shape.dropFirst().reduce(1, *) : 1
        let n = rows * rowLength
        var out = [T](repeating: 0, count: n)
        try out.withUnsafeMutableBufferPointer { try read(T.self, into: $0.baseAddress!, start: start, count: rows) }
        return out
    }

    /// Reads the whole dataset as strings (variable or fixed length).
    public func readStrings() throws -> [String] {
        try readStrings(start: 0, count: count)
    }

    /// Reads `count` strings of a 1-D dataset, from `start`, taking every `stride`-th one (so
    /// that a range of cells, or an even sample of them, is read without the rest).
    public func readStrings(start: Int, count n: Int, stride: Int = 1) throws -> [String] {
        let tid = H5Dget_type(id)
        defer { H5Tclose(tid) }
        guard H5Tget_class(tid) == H5T_STRING else {
            throw FileError(file.path, "\(path) holds numbers, expected strings")
        }
        if n == 0 { return [] }
        precondition(start >= 0 && stride >= 1 && start + (n - 1) * stride < count)
        let whole = start == 0 && n == count && stride == 1
        let fileSpace = H5Dget_space(id)
        defer { H5Sclose(fileSpace) }
        if !whole {
            var offset = [hsize_t(start)], step = [hsize_t(stride)], extent = [hsize_t(n)]
            H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &offset, &step, &extent, nil)
        }
        var memDims = [hsize_t(n)]
        let memSpace = whole ? H5S_ALL_ID : H5Screate_simple(1, &memDims, nil)
        defer { if !whole { H5Sclose(memSpace) } }
        let selection = whole ? H5S_ALL_ID : fileSpace
        if H5Tis_variable_str(tid) > 0 {
            let memType = H5Tcopy(c2s_H5T_C_S1())
            defer { H5Tclose(memType) }
            H5Tset_size(memType, Int(bitPattern: UInt(bitPattern: -1)))  // H5T_VARIABLE
            H5Tset_cset(memType, H5Tget_cset(tid))
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: n)
            let status = H5Dread(id, memType, memSpace, selection, HDF5.defaultPlist, &pointers)
            guard status >= 0 else { throw readFailure("strings") }
            let strings = pointers.map { $0.map { String(cString: $0) } ?? "" }
            let space = whole ? H5Dget_space(id) : H5Screate_simple(1, &memDims, nil)
            H5Dvlen_reclaim(memType, space, HDF5.defaultPlist, &pointers)
            H5Sclose(space)
            return strings
        } else {
            let size = H5Tget_size(tid)
            let memType = H5Tcopy(tid)
            defer { H5Tclose(memType) }
            var raw = [UInt8](repeating: 0, count: n * size)
            let status = H5Dread(id, memType, memSpace, selection, HDF5.defaultPlist, &raw)
            guard status >= 0 else { throw readFailure("strings") }
            return (0..<n).map { i in
                let slice = raw[(i * size)..<((i + 1) * size)]
                let end = slice.firstIndex(of: 0) ?? slice.endIndex
                return String(decoding: raw[(i * size)..<end], as: UTF8.self)
            }
        }
    }

    /// Appends values to a 1-D dataset created extendable by `H5Group.createExtendable`.
    public func append<T: H5Scalar>(_ values: UnsafeBufferPointer<T>, at offset: Int) throws {
        guard values.count > 0 else { return }
        HDF5.silenceThisThread()
        var newSize = [hsize_t(offset + values.count)]
        guard H5Dset_extent(id, &newSize) >= 0 else {
            throw FileError(file.path, "cannot extend \(path)")
        }
        let fileSpace = H5Dget_space(id)
        defer { H5Sclose(fileSpace) }
        var start = [hsize_t(offset)]
        var extent = [hsize_t(values.count)]
        H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &start, nil, &extent, nil)
        let memSpace = H5Screate_simple(1, &extent, nil)
        defer { H5Sclose(memSpace) }
        guard H5Dwrite(id, T.nativeType, memSpace, fileSpace, HDF5.defaultPlist, values.baseAddress) >= 0 else {
            throw FileError(file.path, "cannot write \(path) (disk full?)")
        }
    }
}

let H5S_ALL_ID: hid_t = c2s_H5S_ALL()

extension H5Group {
    /// Writes a 1-D (or, with `shape`, N-D) numeric dataset, gzip-compressed when `compress`.
    @discardableResult
    public func write<T: H5Scalar>(_ name: String, _ values: [T], shape: [Int]? = nil, compress: Bool = false) throws -> H5Dataset {
        let dims = (shape ?? [values.count]).map { hsize_t($0) }
        let space = H5Screate_simple(Int32(dims.count), dims, nil)
        defer { H5Sclose(space) }
        let plist = H5Pcreate(c2s_H5P_DATASET_CREATE())
        defer { H5Pclose(plist) }
        if compress && values.count > 0 {
            var chunk = dims
            chunk[0] = Swift.min(dims[0], Swift.max(1, hsize_t(1 << 16) / Swift.max(1, dims.dropFirst().reduce(1, *))))
            H5Pset_chunk(plist, Int32(chunk.count), chunk)
            H5Pset_deflate(plist, 4)
        }
        let did = H5Dcreate2(id, name, T.nativeType, space, HDF5.defaultPlist, plist, HDF5.defaultPlist)
        guard did >= 0 else { throw FileError(file.path, "cannot create dataset \(child(name))") }
        let status = values.withUnsafeBufferPointer {
            H5Dwrite(did, T.nativeType, H5S_ALL_ID, H5S_ALL_ID, HDF5.defaultPlist, $0.baseAddress)
        }
        let ds = H5Dataset(file: file, path: child(name), id: did, shape: dims.map { Int($0) }, elementClass: classify(type: T.nativeType))
        guard status >= 0 else { throw FileError(file.path, "cannot write \(child(name)) (disk full?)") }
        return ds
    }

    /// Writes a 1-D boolean dataset the way h5py stores numpy booleans (enum FALSE/TRUE over int8).
    @discardableResult
    public func writeBools(_ name: String, _ values: [Bool]) throws -> H5Dataset {
        let enumType = H5Tenum_create(c2s_H5T_NATIVE_INT8())
        defer { H5Tclose(enumType) }
        var f: Int8 = 0, t: Int8 = 1
        H5Tenum_insert(enumType, "FALSE", &f)
        H5Tenum_insert(enumType, "TRUE", &t)
        var dims = [hsize_t(values.count)]
        let space = H5Screate_simple(1, &dims, nil)
        defer { H5Sclose(space) }
        let did = H5Dcreate2(id, name, enumType, space, HDF5.defaultPlist, HDF5.defaultPlist, HDF5.defaultPlist)
        guard did >= 0 else { throw FileError(file.path, "cannot create dataset \(child(name))") }
        let raw = values.map { $0 ? Int8(1) : 0 }
        let status = raw.withUnsafeBufferPointer {
            H5Dwrite(did, enumType, H5S_ALL_ID, H5S_ALL_ID, HDF5.defaultPlist, $0.baseAddress)
        }
        guard status >= 0 else { throw FileError(file.path, "cannot write \(child(name))") }
        return H5Dataset(file: file, path: child(name), id: did, shape: [values.count], elementClass: .boolEnum)
    }

    /// Writes a 1-D dataset of variable-length UTF-8 strings (what anndata writes for string arrays).
    @discardableResult
    public func writeStrings(_ name: String, _ values: [String], compress: Bool = false) throws -> H5Dataset {
        let memType = variableStringType()
        defer { H5Tclose(memType) }
        var dims = [hsize_t(values.count)]
        let space = H5Screate_simple(1, &dims, nil)
        defer { H5Sclose(space) }
        let plist = H5Pcreate(c2s_H5P_DATASET_CREATE())
        defer { H5Pclose(plist) }
        if compress && values.count > 0 {
            var chunk = [Swift.min(dims[0], 4096)]
            H5Pset_chunk(plist, 1, &chunk)
            H5Pset_deflate(plist, 4)
        }
        let did = H5Dcreate2(id, name, memType, space, HDF5.defaultPlist, plist, HDF5.defaultPlist)
        guard did >= 0 else { throw FileError(file.path, "cannot create dataset \(child(name))") }
        let status = withCStringArray(values) { pointers in
            H5Dwrite(did, memType, H5S_ALL_ID, H5S_ALL_ID, HDF5.defaultPlist, pointers)
        }
        guard status >= 0 else { throw FileError(file.path, "cannot write \(child(name))") }
        return H5Dataset(file: file, path: child(name), id: did, shape: [values.count], elementClass: .string(variable: true))
    }

    /// Creates an empty, chunked 1-D dataset that grows with `H5Dataset.append`. With `level`
    /// > 0 it is byte-shuffled and gzip-compressed (smaller and faster for small integers).
    public func createExtendable<T: H5Scalar>(_ name: String, _: T.Type, chunk: Int = 1 << 16, level: Int = 4) throws -> H5Dataset {
        var dims: [hsize_t] = [0]
        var maxDims: [hsize_t] = [c2s_H5S_UNLIMITED()]
        let space = H5Screate_simple(1, &dims, &maxDims)
        defer { H5Sclose(space) }
        let plist = H5Pcreate(c2s_H5P_DATASET_CREATE())
        defer { H5Pclose(plist) }
        var chunkDims = [hsize_t(chunk)]
        H5Pset_chunk(plist, 1, &chunkDims)
        if level > 0 {
            H5Pset_shuffle(plist)
            H5Pset_deflate(plist, UInt32(min(9, level)))
        }
        let did = H5Dcreate2(id, name, T.nativeType, space, HDF5.defaultPlist, plist, HDF5.defaultPlist)
        guard did >= 0 else { throw FileError(file.path, "cannot create dataset \(child(name))") }
        return H5Dataset(file: file, path: child(name), id: did, shape: [0], elementClass: classify(type: T.nativeType))
    }
}

func variableStringType() -> hid_t {
    let t = H5Tcopy(c2s_H5T_C_S1())
    H5Tset_size(t, Int(bitPattern: UInt(bitPattern: -1)))  // H5T_VARIABLE
    H5Tset_cset(t, H5T_CSET_UTF8)
    return t
}

/// Calls `body` with a C array of NUL-terminated copies of `strings`.
func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) throws -> R) rethrows -> R {
    let pointers = strings.map { strdup($0) }
    defer { pointers.forEach { free($0) } }
    return try pointers.withUnsafeBufferPointer { try body($0.baseAddress!) }
}
