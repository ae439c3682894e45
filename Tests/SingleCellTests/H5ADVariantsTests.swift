import Foundation
import SingleCell
import TestSupport
import XCTest

/// Every .h5ad encoding H5ADSource must read: X dense / CSR / CSC with integer and float dtypes,
/// layers, raw (with its own gene set), `--gene-column`, obs/var dataframes in the current
/// anndata encoding and in the anndata 0.7 one (and the h5sparse X attributes before it).
/// Fixtures and expected.json come from scripts/fixtures/make_h5ad_variants.py.
final class H5ADVariantsTests: XCTestCase {
    static let folder = TestPaths.fixtures.appendingPathComponent("h5ad")

    static func path(_ file: String) -> String { folder.appendingPathComponent(file).path }

    /// The cases of expected.json (one per way of opening a file).
    static func cases() throws -> [[String: Any]] {
        let url = folder.appendingPathComponent("expected.json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw NSError(domain: "fixtures", code: 1, userInfo: [NSLocalizedDescriptionKey: "missing \(url.path); run scripts/fixtures/make_h5ad_variants.py"])
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        return json["cases"] as! [[String: Any]]
    }

    static func cases(file: String) throws -> [[String: Any]] {
        let found = try cases().filter { $0["file"] as? String == file }
        XCTAssertFalse(found.isEmpty, "expected.json has no case for \(file)")
        return found
    }

    static func number(_ any: Any) -> Double {
        if let n = any as? NSNumber { return n.doubleValue }
        if let i = any as? Int { return Double(i) }
        return any as! Double
    }

    static func matrix(_ spec: String) -> H5ADMatrix {
        if spec == "X" { return .x }
        if spec == "raw" { return .raw }
        precondition(spec.hasPrefix("layer:"))
        return .layer(String(spec.dropFirst("layer:".count)))
    }

    static func kind(_ values: ColumnValues) -> String {
        switch values {
        case .strings: return "strings"
        case .categorical: return "categorical"
        case .integers: return "integers"
        case .reals: return "reals"
        case .bools: return "bools"
        }
    }

    /// Densifies a block, checking its structure.
    func dense(_ block: CSRRows, firstRow: Int, rows: Int, columns: Int, _ label: String) -> [[Float]] {
        XCTAssertEqual(block.firstRow, firstRow, "\(label): firstRow")
        XCTAssertEqual(block.rowCount, rows, "\(label): row count")
        XCTAssertEqual(block.indptr.first, 0, "\(label): indptr[0]")
        XCTAssertEqual(block.indptr.last, block.storedCount, "\(label): indptr spans the entries")
        XCTAssertEqual(block.indices.count, block.values.count, "\(label): indices vs values")
        var out = [[Float]](repeating: [Float](repeating: 0, count: columns), count: block.rowCount)
        for r in 0..<block.rowCount {
            for k in block.range(ofRow: r) {
                let c = Int(block.indices[k])
                guard c >= 0 && c < columns else { XCTFail("\(label): column \(c) out of range"); continue }
                out[r][c] += block.values[k]
            }
        }
        return out
    }

    func assertRows(_ got: [[Float]], _ want: [[Double]], rowOffset: Int, _ label: String) {
        XCTAssertEqual(got.count, want.count, "\(label): rows")
        for (r, (g, w)) in zip(got, want).enumerated() {
            XCTAssertEqual(g.count, w.count, "\(label): columns of row \(r + rowOffset)")
            for (c, (a, b)) in zip(g, w).enumerated() {
                // Values are exact in float32 except csr_float64's x.1 values (rounded once).
                XCTAssertEqual(Double(a), b, accuracy: 1e-6 * max(1, abs(b)), "\(label): [\(r + rowOffset), \(c)]")
            }
        }
    }

    func assertColumns(_ frame: DataFrame, _ expected: [[String: Any]], rows: Int, _ label: String) {
        XCTAssertEqual(frame.columnNames, expected.map { $0["name"] as! String }, "\(label): column names and order")
        for e in expected {
            let name = e["name"] as! String
            guard let column = frame.column(name) else { XCTFail("\(label): no column \(name)"); continue }
            XCTAssertEqual(Self.kind(column.values), e["kind"] as? String, "\(label): kind of \(name)")
            XCTAssertEqual(column.values.count, rows, "\(label): length of \(name)")
            let texts = (e["text"] as! [Any]).map { $0 as? String }  // JSON null -> nil
            XCTAssertEqual((0..<rows).map { column.values.text(at: $0) }, texts, "\(label): text of \(name)")
        }
    }

    /// Opens the file as the case says and checks everything the case records.
    func check(_ c: [String: Any]) throws {
        let file = c["file"] as! String
        let spec = c["matrix"] as! String
        let geneColumn = c["gene_column"] as? String
        let label = "\(file) [\(spec)\(geneColumn.map { ", gene column \($0)" } ?? "")]"
        let source = try H5ADSource(path: Self.path(file), matrix: Self.matrix(spec), geneColumn: geneColumn)

        let shape = c["shape"] as! [Any]
        let rows = Int(Self.number(shape[0])), columns = Int(Self.number(shape[1]))
        XCTAssertEqual(source.cellCount, rows, "\(label): cells")
        XCTAssertEqual(source.geneCount, columns, "\(label): genes")
        XCTAssertEqual(source.streams, c["streams"] as? Bool, "\(label): streams")
        if c["transposed"] as? Bool == true {
            XCTAssertEqual(source.warnings.count, 1, "\(label): warnings")
            XCTAssertTrue(source.warnings.first?.contains("CSC") ?? false, "\(label): \(source.warnings)")
            XCTAssertTrue(source.warnings.first?.contains("temporary file") ?? false, "\(label): \(source.warnings)")
        } else {
            XCTAssertEqual(source.warnings, [], "\(label): warnings")
        }

        // Matrix: whole, then split in two blocks at every row boundary (empty blocks included).
        let want = (c["dense"] as! [[Any]]).map { $0.map(Self.number) }
        assertRows(dense(try source.readRows(0..<rows), firstRow: 0, rows: rows, columns: columns, label), want, rowOffset: 0, "\(label) all rows")
        for split in 0...rows {
            let head = try source.readRows(0..<split), tail = try source.readRows(split..<rows)
            assertRows(dense(head, firstRow: 0, rows: split, columns: columns, label), Array(want[0..<split]), rowOffset: 0, "\(label) rows 0..<\(split)")
            assertRows(dense(tail, firstRow: split, rows: rows - split, columns: columns, label), Array(want[split...]), rowOffset: split, "\(label) rows \(split)..<\(rows)")
        }

        // Metadata.
        XCTAssertEqual(source.obs.index, c["obs_index"] as! [String], "\(label): obs index")
        XCTAssertEqual(source.genes.index, c["var_index"] as! [String], "\(label): var index")
        XCTAssertEqual(source.geneNames, c["gene_names"] as! [String], "\(label): gene names")
        assertColumns(source.obs, c["obs_columns"] as! [[String: Any]], rows: rows, "\(label) obs")
        assertColumns(source.genes, c["var_columns"] as! [[String: Any]], rows: columns, "\(label) var")

        // The same obs left on disk and read by row range (as `c2s convert` reads it): every
        // split gives the rows of the whole table, and the layout is the table's.
        let onDemand = try H5ADSource(path: Self.path(file), matrix: Self.matrix(spec), geneColumn: geneColumn, obsOnDemand: true)
        XCTAssertEqual(onDemand.warnings, source.warnings, "\(label): warnings on demand")
        XCTAssertEqual(onDemand.obsSchema.columnNames, source.obs.columnNames, "\(label): schema")
        for column in source.obs.columns {
            XCTAssertEqual(Self.kind(onDemand.obsSchema.column(column.name)!.values), Self.kind(column.values), "\(label): kind of \(column.name)")
        }
        let names = source.obs.columnNames
        for split in 0...rows {
            assertSameRows(try onDemand.readObs(0..<split, columns: names), source.obs, 0..<split, "\(label) obs 0..<\(split)")
            assertSameRows(try onDemand.readObs(split..<rows, columns: names), source.obs, split..<rows, "\(label) obs \(split)..<\(rows)")
        }
        XCTAssertEqual(try onDemand.readObs(0..<rows, columns: []).columnNames, [], "\(label): no columns asked for")
        assertSameRows(onDemand.obs, source.obs, 0..<rows, "\(label) obs read whole on demand")
    }

    /// `part` holds rows `rows` of `whole`: the same names, columns, kinds and texts (and the
    /// same codes and categories for categorical columns).
    func assertSameRows(_ part: DataFrame, _ whole: DataFrame, _ rows: Range<Int>, _ label: String) {
        XCTAssertEqual(part.index, Array(whole.index[rows]), "\(label): names")
        XCTAssertEqual(part.columnNames, whole.columnNames, "\(label): columns")
        for column in whole.columns {
            guard let got = part.column(column.name)?.values else { continue }
            XCTAssertEqual(Self.kind(got), Self.kind(column.values), "\(label): kind of \(column.name)")
            XCTAssertEqual((0..<rows.count).map { got.text(at: $0) }, rows.map { column.values.text(at: $0) }, "\(label): \(column.name)")
            if case .categorical(let codes, let cats) = got, case .categorical(let wholeCodes, let wholeCats) = column.values {
                XCTAssertEqual(cats, wholeCats, "\(label): categories of \(column.name)")
                XCTAssertEqual(codes, Array(wholeCodes[rows]), "\(label): codes of \(column.name)")
            }
        }
    }

    func checkFile(_ file: String) throws {
        for c in try Self.cases(file: file) { try check(c) }
    }

    // MARK: X storage and dtypes

    func testCSRInt32() throws { try checkFile("csr_int32.h5ad") }
    func testCSRFloat64() throws { try checkFile("csr_float64.h5ad") }
    func testDenseFloat32() throws { try checkFile("dense_float32.h5ad") }
    func testCSCInt64() throws { try checkFile("csc_int64.h5ad") }
    func testDenseUInt16() throws { try checkFile("dense_uint16.h5ad") }

    // MARK: layers, raw, gene column

    func testLayersAndRaw() throws {
        let cases = try Self.cases(file: "layers_raw.h5ad")
        XCTAssertEqual(Set(cases.map { $0["matrix"] as! String }), ["X", "layer:counts", "raw"])
        for c in cases { try check(c) }
        // raw has its own, larger gene set.
        let x = try H5ADSource(path: Self.path("layers_raw.h5ad"))
        let raw = try H5ADSource(path: Self.path("layers_raw.h5ad"), matrix: .raw)
        XCTAssertEqual(x.geneCount, 8)
        XCTAssertEqual(raw.geneCount, 10)
        XCTAssertTrue(Set(x.geneNames).isSubset(of: Set(raw.geneNames)))
    }

    func testGeneColumn() throws {
        let cases = try Self.cases().filter { $0["gene_column"] as? String != nil }
        XCTAssertGreaterThanOrEqual(cases.count, 3)
        for c in cases {
            try check(c)
            XCTAssertNotEqual(c["gene_names"] as! [String], c["var_index"] as! [String], "the symbol column must differ from the index")
        }
    }

    // MARK: older encodings

    /// Written by anndata 0.7.8 itself (or by hand in the same layout when it was not installable;
    /// expected.json says which in legacy_writer).
    func testLegacyAnnData07() throws { try checkFile("legacy_anndata07.h5ad") }

    /// X, layers/counts and raw/X carry only h5sparse_format / h5sparse_shape.
    func testLegacyH5Sparse() throws { try checkFile("legacy_h5sparse.h5ad") }

    /// Every fixture file has expectations, and every case's file exists.
    func testExpectationsCoverEveryFixture() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter { $0.hasSuffix(".h5ad") }
        let covered = Set(try Self.cases().map { $0["file"] as! String })
        XCTAssertEqual(Set(files), covered)
        XCTAssertEqual(covered.count, 8)
    }

    // MARK: errors

    func message(_ body: () throws -> Any) -> String {
        do {
            _ = try body()
            XCTFail("expected an error")
            return ""
        } catch {
            XCTAssertTrue(error is FileError, "\(error)")
            return "\(error)"
        }
    }

    func testMissingLayerNamesTheAvailableLayers() {
        let path = Self.path("layers_raw.h5ad")
        let text = message { try H5ADSource(path: path, matrix: .layer("spliced")) }
        XCTAssertTrue(text.contains("spliced"), text)
        XCTAssertTrue(text.contains("layers in this file: counts"), text)
        XCTAssertTrue(text.hasPrefix(path), text)
        // A file whose layers group is empty, and one with no layers group at all.
        let none = message { try H5ADSource(path: Self.path("csr_int32.h5ad"), matrix: .layer("counts")) }
        XCTAssertTrue(none.contains("no layer 'counts'") && none.contains("none"), none)
        let legacyNone = message { try H5ADSource(path: Self.path("legacy_h5sparse.h5ad"), matrix: .layer("spliced")) }
        XCTAssertTrue(legacyNone.contains("layers in this file: counts"), legacyNone)
    }

    func testRawOnFileWithoutRaw() {
        for file in ["csr_int32.h5ad", "dense_float32.h5ad"] {
            let text = message { try H5ADSource(path: Self.path(file), matrix: .raw) }
            XCTAssertTrue(text.contains("no raw matrix"), text)
        }
    }

    func testUnknownGeneColumnListsTheColumns() {
        let text = message { try H5ADSource(path: Self.path("csr_int32.h5ad"), geneColumn: "gene_symbols") }
        XCTAssertTrue(text.contains("'gene_symbols'"), text)
        XCTAssertTrue(text.contains("columns: gene_ids, feature_types, highly_variable, symbol"), text)
        let raw = message { try H5ADSource(path: Self.path("layers_raw.h5ad"), matrix: .raw, geneColumn: "feature_types") }
        XCTAssertTrue(raw.contains("raw/var has no column 'feature_types'") && raw.contains("columns: gene_ids, symbol"), raw)
    }
}
