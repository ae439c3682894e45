/// Reads an AnnData dataframe (`obs` or `var`) from an HDF5 group.
///
/// Understands the current encoding (`encoding-type: dataframe`, categorical columns as groups
/// with `codes` and `categories`, string arrays, numeric and boolean arrays, nullable arrays) and
/// the older one written by anndata 0.7 (categorical codes as a dataset whose categories live in
/// `__categories/<column>`).
enum AnnDataFrame {
    static func read(_ group: H5Group, expectedRows: Int, role: String) throws -> DataFrame {
        let file = group.file.path
        let indexName = group.attributes.string("_index") ?? (group.contains("_index") ? "_index" : "index")
        guard group.kind(of: indexName) == .dataset else {
            throw FileError(file, "\(role) has no index dataset '\(indexName)'")
        }
        let index = try readIndex(try group.dataset(indexName))
        guard index.count == expectedRows else {
            throw FileError(file, "\(role) has \(index.count) rows but the matrix has \(expectedRows) \(role == "obs" ? "cells (rows)" : "genes (columns)")")
        }
        var order = group.attributes.strings("column-order") ?? []
        if order.isEmpty {
            order = group.memberNames().filter { $0 != indexName && $0 != "__categories" }
        }
        var columns: [Column] = []
        for name in order where group.contains(name) {
            guard let values = try readColumn(group, name) else { continue }
            guard values.count == expectedRows else {
                throw FileError(file, "\(role) column '\(name)' has \(values.count) entries, expected \(expectedRows)")
            }
            columns.append(Column(name, values))
        }
        return DataFrame(index: index, columns: columns)
    }

    static func readIndex(_ ds: H5Dataset) throws -> [String] {
        switch ds.elementClass {
        case .string: return try ds.readStrings()
        case .integer: return try ds.read(Int64.self).map { String($0) }
        default: throw FileError(ds.file.path, "index \(ds.path) is neither text nor integers")
        }
    }

    /// Reads one column; returns nil for encodings we do not carry (e.g. nested dataframes).
    static func readColumn(_ parent: H5Group, _ name: String) throws -> ColumnValues? {
        guard let stored = try locateColumn(parent, name) else { return nil }
        switch stored {
        case .strings(let ds): return .strings(try ds.readStrings())
        case .categorical(let codes, let categories):
            return try checkedCategorical(codes: try codes.read(Int32.self), categories: categories, file: parent.file.path, column: name)
        case .integers(let ds): return .integers(try ds.read(Int64.self))
        case .reals(let ds): return .reals(try ds.read(Double.self))
        case .bools(let ds): return .bools(try ds.read(UInt8.self).map { $0 != 0 })
        case .held(let values): return values
        }
    }

    /// How one column is stored: the dataset to read its values from (categorical columns with
    /// their categories read), or, for nullable arrays, the values read whole.
    enum StoredColumn {
        case strings(H5Dataset)
        case categorical(codes: H5Dataset, categories: [String])
        case integers(H5Dataset)
        case reals(H5Dataset)
        case bools(H5Dataset)
        /// A nullable array, read whole (its categories depend on every value).
        case held(ColumnValues)

        /// How many entries the column has.
        var count: Int {
            switch self {
            case .strings(let ds), .categorical(let ds, _), .integers(let ds), .reals(let ds), .bools(let ds): return ds.count
            case .held(let values): return values.count
            }
        }
    }

    /// Where column `name` is stored; nil for encodings we do not carry. `readColumn` reads the
    /// result whole, `AnnDataObsReader` by row range.
    static func locateColumn(_ parent: H5Group, _ name: String) throws -> StoredColumn? {
        switch parent.kind(of: name) {
        case .group?:
            let g = try parent.group(name)
            let encoding = g.attributes.string("encoding-type") ?? ""
            switch encoding {
            case "categorical":
                let codes = try g.dataset("codes")
                return .categorical(codes: codes, categories: try categoryStrings(try g.dataset("categories")))
            case "nullable-integer", "nullable-boolean", "nullable-string-array":
                return .held(try readNullable(g, encoding: encoding))
            default:
                return nil
            }
        case .dataset?:
            let ds = try parent.dataset(name)
            guard ds.shape.count == 1 else { return nil }
            // anndata 0.7: integer codes with categories stored under __categories/<name>.
            if ds.attributes.contains("categories"), parent.contains("__categories") {
                let cats = try parent.group("__categories")
                if cats.kind(of: name) == .dataset {
                    return .categorical(codes: ds, categories: try categoryStrings(try cats.dataset(name)))
                }
            }
            switch ds.elementClass {
            case .string: return .strings(ds)
            case .boolEnum: return .bools(ds)
            case .integer: return .integers(ds)
            case .float: return .reals(ds)
            default: return nil
            }
        default:
            return nil
        }
    }

    /// A nullable array (`values` and a `mask` of missing entries), read whole.
    private static func readNullable(_ g: H5Group, encoding: String) throws -> ColumnValues {
        let values = try g.dataset("values")
        let mask = try g.dataset("mask").read(UInt8.self)
        if encoding == "nullable-string-array" {
            let strings = try values.readStrings()
            let categories = Array(Set(strings)).sorted()
            let lookup = Dictionary(uniqueKeysWithValues: categories.enumerated().map { ($1, Int32($0)) })
            return .categorical(codes: zip(strings, mask).map { $1 != 0 ? -1 : lookup[$0]! }, categories: categories)
        }
        if encoding == "nullable-boolean" {
            // A missing boolean becomes a missing category, the only way to say "NA" here.
            let v = try values.read(UInt8.self)
            return .categorical(codes: zip(v, mask).map { $1 != 0 ? -1 : ($0 != 0 ? 1 : 0) }, categories: ["false", "true"])
        }
        let v = try values.read(Double.self)
        return .reals(zip(v, mask).map { $1 != 0 ? .nan : $0 })
    }

    /// A categorical column whose codes are each -1 (missing) or a category's index; any other
    /// code means a damaged file, which is refused rather than read as a wrong label.
    static func checkedCategorical(codes: [Int32], categories: [String], file: String, column: String) throws -> ColumnValues {
        if let bad = codes.firstIndex(where: { $0 < -1 || Int($0) >= categories.count }) {
            throw FileError(file, "column '\(column)': categorical code \(codes[bad]) at row \(bad) is outside its \(categories.count) categories (the file is damaged)")
        }
        return .categorical(codes: codes, categories: categories)
    }

    static func categoryStrings(_ ds: H5Dataset) throws -> [String] {
        switch ds.elementClass {
        case .string: return try ds.readStrings()
        case .integer: return try ds.read(Int64.self).map { String($0) }
        case .float: return try ds.read(Double.self).map { String($0) }
        case .boolEnum: return try ds.read(UInt8.self).map { $0 != 0 ? "true" : "false" }
        default: throw FileError(ds.file.path, "categories \(ds.path) have an unsupported type")
        }
    }
}
