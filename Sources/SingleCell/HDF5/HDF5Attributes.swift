import CHDF5
import Foundation

/// The attributes of one group or dataset.
public struct H5Attributes {
    let objectID: hid_t
    let file: H5File
    let objectPath: String
    /// The group or dataset that owns `objectID`, kept alive so that its id stays open while
    /// these attributes are in use (e.g. `try group.dataset("x").attributes.string("a")`).
    var owner: AnyObject? = nil

    public func contains(_ name: String) -> Bool { H5Aexists(objectID, name) > 0 }

    private func open(_ name: String) -> hid_t? {
        guard contains(name) else { return nil }
        let aid = H5Aopen(objectID, name, HDF5.defaultPlist)
        return aid >= 0 ? aid : nil
    }

    private func elementCount(_ aid: hid_t) -> Int {
        let space = H5Aget_space(aid)
        defer { H5Sclose(space) }
        return Int(H5Sget_simple_extent_npoints(space))
    }

    /// Reads a string attribute (scalar or the first element of an array), or nil if absent or not text.
    public func string(_ name: String) -> String? {
        strings(name)?.first
    }

    /// Reads a string or string-array attribute; nil if absent. A numeric empty array (h5py writes
    /// an empty `column-order` as float64) reads as an empty list.
    public func strings(_ name: String) -> [String]? {
        guard let aid = open(name) else { return nil }
        defer { H5Aclose(aid) }
        let tid = H5Aget_type(aid)
        defer { H5Tclose(tid) }
        let n = elementCount(aid)
        guard H5Tget_class(tid) == H5T_STRING else { return n == 0 ? [] : nil }
        if n == 0 { return [] }
        if H5Tis_variable_str(tid) > 0 {
            let memType = variableStringType()
            defer { H5Tclose(memType) }
            H5Tset_cset(memType, H5Tget_cset(tid))
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: n)
            guard H5Aread(aid, memType, &pointers) >= 0 else { return nil }
            let result = pointers.map { $0.map { String(cString: $0) } ?? "" }
            let space = H5Aget_space(aid)
            H5Dvlen_reclaim(memType, space, HDF5.defaultPlist, &pointers)
            H5Sclose(space)
            return result
        }
        let size = H5Tget_size(tid)
        var raw = [UInt8](repeating: 0, count: n * size)
        guard H5Aread(aid, tid, &raw) >= 0 else { return nil }
        return (0..<n).map { i in
            let slice = raw[(i * size)..<((i + 1) * size)]
            let end = slice.firstIndex(of: 0) ?? slice.endIndex
            return String(decoding: raw[(i * size)..<end], as: UTF8.self)
        }
    }

    /// Reads an integer (or integer-array) attribute; nil if absent or not numeric.
    public func integers(_ name: String) -> [Int64]? {
        guard let aid = open(name) else { return nil }
        defer { H5Aclose(aid) }
        let tid = H5Aget_type(aid)
        defer { H5Tclose(tid) }
        let cls = H5Tget_class(tid)
        guard cls == H5T_INTEGER || cls == H5T_FLOAT else { return nil }
        let n = elementCount(aid)
        var out = [Int64](repeating: 0, count: n)
        guard H5Aread(aid, c2s_H5T_NATIVE_INT64(), &out) >= 0 else { return nil }
        return out
    }

    // MARK: writing

    public func write(_ name: String, string value: String) throws {
        let memType = variableStringType()
        defer { H5Tclose(memType) }
        let space = H5Screate(H5S_SCALAR)
        defer { H5Sclose(space) }
        let aid = H5Acreate2(objectID, name, memType, space, HDF5.defaultPlist, HDF5.defaultPlist)
        guard aid >= 0 else { throw FileError(file.path, "cannot write attribute \(name) of \(objectPath)") }
        defer { H5Aclose(aid) }
        let status = withCStringArray([value]) { H5Awrite(aid, memType, $0) }
        guard status >= 0 else { throw FileError(file.path, "cannot write attribute \(name) of \(objectPath)") }
    }

    public func write(_ name: String, strings values: [String]) throws {
        let memType = variableStringType()
        defer { H5Tclose(memType) }
        var dims = [hsize_t(values.count)]
        let space = H5Screate_simple(1, &dims, nil)
        defer { H5Sclose(space) }
        let aid = H5Acreate2(objectID, name, memType, space, HDF5.defaultPlist, HDF5.defaultPlist)
        guard aid >= 0 else { throw FileError(file.path, "cannot write attribute \(name) of \(objectPath)") }
        defer { H5Aclose(aid) }
        let status = withCStringArray(values) { H5Awrite(aid, memType, $0) }
        guard status >= 0 else { throw FileError(file.path, "cannot write attribute \(name) of \(objectPath)") }
    }

    public func write(_ name: String, integers values: [Int64]) throws {
        var dims = [hsize_t(values.count)]
        let space = H5Screate_simple(1, &dims, nil)
        defer { H5Sclose(space) }
        let aid = H5Acreate2(objectID, name, c2s_H5T_STD_I64LE(), space, HDF5.defaultPlist, HDF5.defaultPlist)
        guard aid >= 0 else { throw FileError(file.path, "cannot write attribute \(name) of \(objectPath)") }
        defer { H5Aclose(aid) }
        guard H5Awrite(aid, c2s_H5T_NATIVE_INT64(), values) >= 0 else {
            throw FileError(file.path, "cannot write attribute \(name) of \(objectPath)")
        }
    }

    public func write(_ name: String, bool value: Bool) throws {
        let enumType = H5Tenum_create(c2s_H5T_NATIVE_INT8())
        defer { H5Tclose(enumType) }
        var f: Int8 = 0, t: Int8 = 1
        H5Tenum_insert(enumType, "FALSE", &f)
        H5Tenum_insert(enumType, "TRUE", &t)
        let space = H5Screate(H5S_SCALAR)
        defer { H5Sclose(space) }
        let aid = H5Acreate2(objectID, name, enumType, space, HDF5.defaultPlist, HDF5.defaultPlist)
        guard aid >= 0 else { throw FileError(file.path, "cannot write attribute \(name) of \(objectPath)") }
        defer { H5Aclose(aid) }
        var v: Int8 = value ? 1 : 0
        guard H5Awrite(aid, enumType, &v) >= 0 else {
            throw FileError(file.path, "cannot write attribute \(name) of \(objectPath)")
        }
    }
}
