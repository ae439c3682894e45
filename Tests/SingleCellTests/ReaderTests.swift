import CZlib
import Foundation
import SingleCell
import TestSupport
import XCTest

/// Tests of the non-h5ad readers (text, Matrix Market, 10x folder and HDF5) and of format detection.
final class ReaderTests: XCTestCase {
    var tmp: TemporaryFolder!

    override func setUpWithError() throws { tmp = try TemporaryFolder() }
    override func tearDown() { tmp = nil }

    // MARK: helpers

    @discardableResult
    func write(_ name: String, _ text: String, gzip: Bool = false) throws -> String {
        let path = tmp.file(name)
        if gzip {
            let bytes = Array(text.utf8)
            guard let gz = gzopen(path, "wb") else { throw FileError(path, "cannot create") }
            let written = bytes.withUnsafeBytes { gzwrite(gz, $0.baseAddress, UInt32($0.count)) }
            XCTAssertEqual(Int(written), bytes.count)
            XCTAssertEqual(gzclose(gz), Z_OK)
        } else {
            try text.write(toFile: path, atomically: false, encoding: .utf8)
        }
        return path
    }

    /// All rows of a source as one block, read in several calls to exercise block boundaries.
    func readAll(_ source: ExpressionSource, block: Int = 7) throws -> CSRRows {
        var all = CSRRows.empty(at: 0)
        var start = 0
        while start < source.cellCount {
            let end = min(start + block, source.cellCount)
            let b = try source.readRows(start..<end)
            XCTAssertEqual(b.firstRow, start)
            XCTAssertEqual(b.rowCount, end - start)
            let base = all.indices.count
            for r in 0..<b.rowCount { all.indptr.append(base + b.indptr[r + 1]) }
            all.indices += b.indices
            all.values += b.values
            start = end
        }
        return all
    }

    /// Dense rows (cells) of a source, for small test matrices.
    func dense(_ source: ExpressionSource) throws -> [[Float]] {
        let m = try readAll(source)
        return (0..<m.rowCount).map { r in
            var row = [Float](repeating: 0, count: source.geneCount)
            for k in m.range(ofRow: r) { row[Int(m.indices[k])] = m.values[k] }
            return row
        }
    }

    /// Asserts that `body` throws a `FileError` naming `path` and containing every one of `words`.
    func assertFileError(_ path: String, _ words: [String], file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("expected an error about \(path)", file: file, line: line)
        } catch let error as FileError {
            XCTAssertEqual(error.path, path, "\(error)", file: file, line: line)
            for w in words { XCTAssertTrue(error.description.contains(w), "'\(error)' should mention '\(w)'", file: file, line: line) }
        } catch {
            XCTFail("expected FileError, got \(error)", file: file, line: line)
        }
    }

    // MARK: GzipLineReader

    func testLineReaderGivesSameLinesForPlainAndGzip() throws {
        let long = String(repeating: "x", count: 300)
        let text = "\u{FEFF}first\r\nsecond\n\n\(long)\nlast without newline"
        let expected = ["first", "second", "", long, "last without newline"]
        for gzip in [false, true] {
            // A file named .gz that is plain, and a gzip without .gz: the bytes decide.
            let path = try write(gzip ? "lines.txt" : "lines.txt.gz", text, gzip: gzip)
            let reader = try GzipLineReader(path: path, bufferSize: 64)  // small buffer: forces refills and growth
            XCTAssertEqual(reader.isCompressed, gzip)
            var lines: [String] = []
            while let line = try reader.nextLine() { lines.append(String(decoding: line, as: UTF8.self)) }
            XCTAssertEqual(lines, expected)
            XCTAssertEqual(reader.lineNumber, 5)
            XCTAssertEqual(try GzipLineReader.readLines(path), expected)
        }
    }

    // MARK: LineBlockReader

    func testLineBlocksHoldWholeLinesInOrder() throws {
        let long = String(repeating: "y", count: 1000)  // longer than a block
        let lines = (1...500).map { "line \($0) " + String(repeating: "z", count: $0 % 37) } + [long, "", "after blank"]
        for (gzip, lastBreak) in [(false, true), (true, true), (false, false), (true, false)] {
            let text = "\u{FEFF}" + lines.joined(separator: "\n") + (lastBreak ? "\n" : "")
            let path = try write("blocks-\(gzip)-\(lastBreak).txt", text, gzip: gzip)
            for blockSize in [64, 200, 4096, 1 << 20] {
                var seen: [String] = []
                try LineBlockReader(path: path, blockSize: blockSize).forEachBlock { block in
                    XCTAssertEqual(block.firstLine, seen.count + 1)
                    let text = String(decoding: block.bytes, as: UTF8.self)
                    var parts = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                    if text.hasSuffix("\n") { parts.removeLast() } else { XCTAssertEqual(seen.count + parts.count, lines.count, "only the last block lacks a final line break") }
                    seen += parts
                }
                XCTAssertEqual(seen, lines, "gzip \(gzip), block \(blockSize), final line break \(lastBreak)")
            }
        }
        var blocks = 0
        try LineBlockReader(path: try write("empty.txt", "")).forEachBlock { _ in blocks += 1 }
        XCTAssertEqual(blocks, 0)
        assertFileError(tmp.file("nope.txt"), ["no such file"]) { _ = try LineBlockReader(path: tmp.file("nope.txt")) }
    }

    func testLineReaderRejectsTruncatedGzip() throws {
        let text = (1...20000).map { "line \($0) \($0 * 7919 % 10007)" }.joined(separator: "\n")
        let whole = try write("whole.tsv.gz", text, gzip: true)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: whole))
        let truncated = tmp.file("truncated.tsv.gz")
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
        assertFileError(truncated, ["corrupt or truncated gzip stream"]) { _ = try GzipLineReader.readLines(truncated) }
        // Cut inside the 8-byte trailer (checksum and length): still incomplete.
        let tail = tmp.file("tail.tsv.gz")
        try bytes.prefix(bytes.count - 3).write(to: URL(fileURLWithPath: tail))
        assertFileError(tail, ["corrupt or truncated gzip stream"]) { _ = try GzipLineReader.readLines(tail) }
    }

    func testLineReaderRejectsCorruptGzip() throws {
        let text = (1...5000).map { "gene\($0)\t\($0)" }.joined(separator: "\n")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: try write("ok.gz", text, gzip: true)))
        for i in stride(from: 20, to: bytes.count - 10, by: 97) { bytes[i] ^= 0x5a }
        let corrupt = tmp.file("corrupt.gz")
        try bytes.write(to: URL(fileURLWithPath: corrupt))
        assertFileError(corrupt, ["corrupt or truncated gzip stream"]) { _ = try GzipLineReader.readLines(corrupt) }
    }

    func testLineReaderMissingFileAndFolder() throws {
        let missing = tmp.file("nope.txt")
        assertFileError(missing, ["no such file"]) { _ = try GzipLineReader(path: missing) }
        assertFileError(tmp.path, ["folder"]) { _ = try GzipLineReader(path: tmp.path) }
    }

    // MARK: Matrix Market

    func testMatrixMarketIntegerRealAndPattern() throws {
        let integer = try write("a.mtx.gz", """
            %%MatrixMarket matrix coordinate integer general
            % a comment
            %
            3 4 4
            1 1 5
            3 4 2
            2 2 7

            1 3 1
            """, gzip: true)
        let m = try MatrixMarketReader.read(integer)
        XCTAssertEqual([m.rowCount, m.columnCount, m.entryCount], [3, 4, 4])
        let csr = try m.csr(path: integer)
        XCTAssertEqual(csr.indptr, [0, 2, 3, 4])
        XCTAssertEqual(csr.indices, [0, 2, 1, 3])
        XCTAssertEqual(csr.values, [5, 1, 7, 2])
        let t = try m.csr(transposed: true, path: integer)
        XCTAssertEqual(t.indptr, [0, 1, 2, 3, 4])
        XCTAssertEqual(t.indices, [0, 1, 0, 2])
        XCTAssertEqual(t.values, [5, 7, 1, 2])

        let real = try write("r.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 4\n1 1 0.5\n1 2 -1.25e2\n2 1 3.14159274101257324\n2 2 nan\n")
        let r = try MatrixMarketReader.read(real)
        XCTAssertEqual(Array(r.values.prefix(3)), [0.5, -125, Float("3.14159274101257324")!])
        XCTAssertTrue(r.values[3].isNaN)

        let pattern = try write("p.mtx", "%%MatrixMarket matrix coordinate pattern general\n2 3 2\n1 3\n2 1\n")
        XCTAssertEqual(try MatrixMarketReader.read(pattern).values, [1, 1])
    }

    func testMatrixMarketErrorsNameFileAndLine() throws {
        let header = "%%MatrixMarket matrix coordinate integer general\n"
        let cases: [(String, String, [String])] = [
            ("bad-banner.mtx", "%%MatrixMarket matrix array real general\n2 2\n", ["line 1", "coordinate"]),
            ("not-mm.mtx", "hello\n", ["line 1", "not a Matrix Market file"]),
            ("symmetric.mtx", "%%MatrixMarket matrix coordinate real symmetric\n1 1 0\n", ["line 1", "general"]),
            ("bad-size.mtx", header + "2 2\n", ["line 2", "size line"]),
            ("few.mtx", header + "2 2 3\n1 1 1\n2 2 1\n", ["line 2", "declares 3 entries", "has 2"]),
            ("many.mtx", header + "2 2 1\n1 1 1\n2 2 1\n", ["line 4", "more entries"]),
            ("range.mtx", header + "2 2 2\n1 1 1\n3 1 1\n", ["line 4", "outside the 2 x 2"]),
            ("zero.mtx", header + "2 2 1\n0 1 1\n", ["line 3", "outside"]),
            ("text.mtx", header + "2 2 1\n1 1 abc\n", ["line 3", "'abc' is not a valid value"]),
            ("short.mtx", header + "2 2 1\n1 1\n", ["line 3", "missing value"]),
            ("duplicate.mtx", header + "2 2 3\n1 1 1\n2 1 1\n1 1 4\n", ["lines 3 and 5", "row 1, column 1"]),
        ]
        for (name, text, words) in cases {
            let path = try write(name, text)
            assertFileError(path, words) { _ = try MatrixMarketReader.read(path).csr(path: path) }
        }
    }

    func testPlainMatrixMarketSourceNamesAndSidecars() throws {
        let path = try write("counts.mtx", "%%MatrixMarket matrix coordinate integer general\n2 3 2\n1 3 4\n2 1 1\n")
        let plain = try ExpressionReader.open(path)
        XCTAssertEqual(try ExpressionReader.detectFormat(path), .mtx)
        XCTAssertEqual(plain.obs.index, ["cell_1", "cell_2"])
        XCTAssertEqual(plain.geneNames, ["gene_1", "gene_2", "gene_3"])
        XCTAssertEqual(try dense(plain), [[0, 0, 4], [1, 0, 0]])

        let flipped = try ExpressionReader.open(path, options: ReadOptions(genesAsRows: true))
        XCTAssertEqual(flipped.cellCount, 3)
        XCTAssertEqual(try dense(flipped), [[0, 1], [0, 0], [4, 0]])

        try write("counts.genes.tsv", "ENSG1\tA\nENSG2\tB\nENSG3\tC\n")
        try write("counts.barcodes.tsv.gz", "AAAC\nTTTG\n", gzip: true)
        let named = try ExpressionReader.open(path)
        XCTAssertEqual(named.geneNames, ["A", "B", "C"])
        XCTAssertEqual(named.obs.index, ["AAAC", "TTTG"])
        XCTAssertEqual(try ExpressionReader.open(path, options: ReadOptions(geneIDs: true)).geneNames, ["ENSG1", "ENSG2", "ENSG3"])
        // The names only fit the other way round: say so.
        assertFileError(tmp.file("counts.genes.tsv"), ["--genes-as-rows"]) {
            _ = try ExpressionReader.open(path, options: ReadOptions(genesAsRows: true))
        }
    }

    // MARK: 10x folder

    func writeTenX(_ folder: String, prefix: String = "", gzip: Bool, v3: Bool) throws -> String {
        try FileManager.default.createDirectory(atPath: tmp.file(folder), withIntermediateDirectories: true)
        let ext = gzip ? ".gz" : ""
        // 4 features x 3 cells; feature 3 is an antibody (v3 only) and is left out.
        try write("\(folder)/\(prefix)matrix.mtx\(ext)", """
            %%MatrixMarket matrix coordinate integer general
            %metadata_json: {"software_version": "cellranger-7"}
            4 3 6
            1 1 3
            3 1 9
            2 2 1
            4 2 2
            1 3 1
            4 3 5
            """, gzip: gzip)
        if v3 {
            try write("\(folder)/\(prefix)features.tsv\(ext)", """
                ENSG01\tCD3E\tGene Expression
                ENSG02\tMS4A1\tGene Expression
                CD4_TotalSeqB\tCD4\tAntibody Capture
                ENSG04\tLYZ\tGene Expression
                """, gzip: gzip)
        } else {
            try write("\(folder)/\(prefix)genes.tsv\(ext)", "ENSG01\tCD3E\nENSG02\tMS4A1\nENSG03\tCD4\nENSG04\tLYZ\n", gzip: gzip)
        }
        try write("\(folder)/\(prefix)barcodes.tsv\(ext)", "AAACCTGAGAAACCAT-1\nAAACCTGAGAAACCGC-1\nAAACCTGAGAAACCTA-1\n", gzip: gzip)
        return tmp.file(folder)
    }

    func testTenXFolderV3KeepsGeneExpressionOnly() throws {
        let folder = try writeTenX("v3", gzip: true, v3: true)
        XCTAssertEqual(try ExpressionReader.detectFormat(folder), .tenx)
        let s = try XCTUnwrap(try ExpressionReader.open(folder) as? TenXFolderSource)
        XCTAssertEqual(s.cellCount, 3)
        XCTAssertEqual(s.geneNames, ["CD3E", "MS4A1", "LYZ"])
        XCTAssertEqual(s.genes.column("gene_ids")?.values, .strings(["ENSG01", "ENSG02", "ENSG04"]))
        XCTAssertEqual(s.genes.column("feature_types")?.values, .strings(["Gene Expression", "Gene Expression", "Gene Expression"]))
        XCTAssertEqual(s.obs.index, ["AAACCTGAGAAACCAT-1", "AAACCTGAGAAACCGC-1", "AAACCTGAGAAACCTA-1"])
        XCTAssertEqual(try dense(s), [[3, 0, 0], [0, 1, 2], [1, 0, 5]])
        XCTAssertTrue(s.warnings.contains { $0.contains("1 Antibody Capture") }, "\(s.warnings)")

        let ids = try ExpressionReader.open(folder, options: ReadOptions(geneIDs: true))
        XCTAssertEqual(ids.geneNames, ["ENSG01", "ENSG02", "ENSG04"])
        XCTAssertEqual(ids.genes.column("gene_symbols")?.values, .strings(["CD3E", "MS4A1", "LYZ"]))
        let column = try ExpressionReader.open(folder, options: ReadOptions(geneColumn: "gene_ids"))
        XCTAssertEqual(column.geneNames, ["ENSG01", "ENSG02", "ENSG04"])
        assertFileError(tmp.file("v3/features.tsv.gz"), ["no gene column 'nope'", "gene_ids"]) {
            _ = try ExpressionReader.open(folder, options: ReadOptions(geneColumn: "nope"))
        }
    }

    func testTenXFolderV2PlainAndPrefixedMatrixPath() throws {
        let folder = try writeTenX("v2", prefix: "GSM1_", gzip: false, v3: false)
        let s = try ExpressionReader.open(folder)
        XCTAssertEqual(s.geneNames, ["CD3E", "MS4A1", "CD4", "LYZ"])
        XCTAssertEqual(try dense(s), [[3, 0, 9, 0], [0, 1, 0, 2], [1, 0, 0, 5]])
        XCTAssertEqual(s.genes.columnNames, ["gene_ids"])
        // The matrix file itself, with its companions beside it, is read as the 10x folder.
        let matrix = folder + "/GSM1_matrix.mtx"
        XCTAssertEqual(try ExpressionReader.detectFormat(matrix), .tenx)
        XCTAssertEqual(try dense(try ExpressionReader.open(matrix)), try dense(s))
    }

    func testTenXFolderCountMismatchNamesTheFile() throws {
        let folder = try writeTenX("bad", gzip: false, v3: true)
        try write("bad/barcodes.tsv", "AAAC-1\nAAAG-1\n")
        assertFileError(folder + "/barcodes.tsv", ["2 barcodes", "3 columns"]) { _ = try ExpressionReader.open(folder) }
        try write("bad/barcodes.tsv", "AAAC-1\nAAAG-1\nAAAT-1\n")
        try write("bad/features.tsv", "ENSG01\tCD3E\tGene Expression\n")
        assertFileError(folder + "/features.tsv", ["1 genes", "4 rows"]) { _ = try ExpressionReader.open(folder) }
        try FileManager.default.removeItem(atPath: folder + "/features.tsv")
        assertFileError(folder, ["features.tsv"]) { _ = try ExpressionReader.open(folder) }
        let empty = tmp.file("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        assertFileError(empty, ["matrix.mtx"]) { _ = try ExpressionReader.open(empty) }
    }

    // MARK: 10x HDF5

    /// Writes a 10x HDF5 file: a genes x cells CSC matrix given as cells x genes CSR.
    func writeTenXH5(_ name: String, v3: Bool, csr: CSRRows, genes: [String], ids: [String], types: [String]? = nil, barcodes: [String]) throws -> String {
        let path = tmp.file(name)
        let file = try H5File(creatingAt: path)
        let group = try file.root().createGroup(v3 ? "matrix" : "GRCh38")
        try group.write("data", csr.values.map { Int32($0) }, compress: true)
        try group.write("indices", csr.indices.map { Int64($0) })
        try group.write("indptr", csr.indptr.map { Int64($0) })
        try group.write("shape", [Int32(genes.count), Int32(csr.rowCount)])
        try group.writeStrings("barcodes", barcodes)
        if v3 {
            let features = try group.createGroup("features")
            try features.writeStrings("name", genes)
            try features.writeStrings("id", ids)
            try features.writeStrings("feature_type", types ?? genes.map { _ in "Gene Expression" })
            try features.writeStrings("genome", genes.map { _ in "GRCh38" })
        } else {
            try group.writeStrings("gene_names", genes)
            try group.writeStrings("genes", ids)
        }
        return path
    }

    func testTenXH5V3AndV2() throws {
        // 3 cells x 4 genes; gene 3 is an antibody in the v3 file.
        let csr = CSRRows(firstRow: 0, indptr: [0, 2, 4, 6], indices: [0, 2, 1, 3, 0, 3], values: [3, 9, 1, 2, 1, 5])
        let barcodes = ["AAACCTGAGAAACCAT-1", "AAACCTGAGAAACCGC-1", "AAACCTGAGAAACCTA-1"]
        let v3 = try writeTenXH5("v3.h5", v3: true, csr: csr, genes: ["CD3E", "MS4A1", "CD4", "LYZ"], ids: ["E1", "E2", "AB4", "E4"],
                                 types: ["Gene Expression", "Gene Expression", "Antibody Capture", "Gene Expression"], barcodes: barcodes)
        XCTAssertEqual(try ExpressionReader.detectFormat(v3), .tenxH5)
        let s3 = try ExpressionReader.open(v3)
        XCTAssertTrue(s3.streams)
        XCTAssertEqual(s3.geneNames, ["CD3E", "MS4A1", "LYZ"])
        XCTAssertEqual(s3.genes.column("gene_ids")?.values, .strings(["E1", "E2", "E4"]))
        XCTAssertEqual(s3.genes.column("genome")?.values, .strings(["GRCh38", "GRCh38", "GRCh38"]))
        XCTAssertEqual(s3.obs.index, barcodes)
        XCTAssertEqual(try dense(s3), [[3, 0, 0], [0, 1, 2], [1, 0, 5]])
        XCTAssertEqual(try s3.readRows(1..<3).indptr, [0, 2, 4])
        XCTAssertEqual(try ExpressionReader.open(v3, options: ReadOptions(geneIDs: true)).geneNames, ["E1", "E2", "E4"])

        let v2 = try writeTenXH5("v2.h5", v3: false, csr: csr, genes: ["CD3E", "MS4A1", "CD4", "LYZ"], ids: ["E1", "E2", "E3", "E4"], barcodes: barcodes)
        XCTAssertEqual(try ExpressionReader.detectFormat(v2), .tenxH5)
        let s2 = try ExpressionReader.open(v2)
        XCTAssertEqual(s2.geneNames, ["CD3E", "MS4A1", "CD4", "LYZ"])
        XCTAssertEqual(try dense(s2), [[3, 0, 9, 0], [0, 1, 0, 2], [1, 0, 0, 5]])

        let mismatched = try writeTenXH5("bad.h5", v3: true, csr: csr, genes: ["A", "B", "C", "D"], ids: ["1", "2", "3", "4"], barcodes: ["X", "Y"])
        assertFileError(mismatched, ["2 barcodes", "3 cells"]) { _ = try ExpressionReader.open(mismatched) }
    }

    // MARK: CSV / TSV

    func testCSVWithQuotesNonFiniteAndGzip() throws {
        let text = """
            "",CD3E,"MS4A1","odd ""name"", really"
            cell_1,1,0,2.5
            "cell,2",0,0,"3"
            cell_3,NaN,-inf,0.000001
            """
        for gzip in [false, true] {
            let path = try write(gzip ? "t.csv.gz" : "t.csv", text, gzip: gzip)
            XCTAssertEqual(try ExpressionReader.detectFormat(path), .csv)
            let s = try ExpressionReader.open(path)
            XCTAssertEqual(s.geneNames, ["CD3E", "MS4A1", "odd \"name\", really"])
            XCTAssertEqual(s.obs.index, ["cell_1", "cell,2", "cell_3"])
            let d = try dense(s)
            XCTAssertEqual(d[0], [1, 0, 2.5])
            XCTAssertEqual(d[1], [0, 0, 3])
            XCTAssertTrue(d[2][0].isNaN)
            XCTAssertEqual(d[2][1], -.infinity)
            XCTAssertEqual(d[2][2], Float("0.000001")!)
        }
    }

    func testTSVGenesAsRowsAndRStyleHeader() throws {
        // R's write.table: no field for the index name in the header; genes are rows.
        let path = try write("r.txt", "c1\tc2\tc3\nCD3E\t1\t0\t4\nLYZ\t0\t2\t0\r\n")
        XCTAssertEqual(try ExpressionReader.detectFormat(path), .tsv)
        let s = try ExpressionReader.open(path, options: ReadOptions(genesAsRows: true))
        XCTAssertEqual(s.obs.index, ["c1", "c2", "c3"])
        XCTAssertEqual(s.geneNames, ["CD3E", "LYZ"])
        XCTAssertEqual(try dense(s), [[1, 0], [0, 2], [4, 0]])
        // A .csv name with tab-separated content: the header decides.
        let tabs = try write("tabs.csv", "cell\tA\tB\nx\t1\t2\n")
        XCTAssertEqual(try dense(try ExpressionReader.open(tabs)), [[1, 2]])
    }

    func testDelimitedTextErrorsNameLineAndColumn() throws {
        let ragged = try write("ragged.csv", "cell,A,B\nc1,1,2\nc2,1\n")
        assertFileError(ragged, ["line 3", "2 fields", "3"]) { _ = try ExpressionReader.open(ragged) }
        let wrongFirst = try write("first.csv", "cell,A,B\nc1,1,2,3,4\n")
        assertFileError(wrongFirst, ["line 2", "5 fields"]) { _ = try ExpressionReader.open(wrongFirst) }
        let text = try write("text.tsv", "cell\tA\tB\nc1\t1\t2\nc2\t1\tlots\n")
        assertFileError(text, ["line 3", "column 3", "gene 'B'", "'lots' is not a number"]) { _ = try ExpressionReader.open(text) }
        let empty = try write("empty.csv", "cell,A\nc1,\n")
        assertFileError(empty, ["line 2", "column 2", "empty value"]) { _ = try ExpressionReader.open(empty) }
        let quote = try write("quote.csv", "cell,\"A\nc1,1\n")
        assertFileError(quote, ["line 1", "unterminated quote"]) { _ = try ExpressionReader.open(quote) }
    }

    // MARK: detection and options

    func testDetectionAndMisnamedFiles() throws {
        let missing = tmp.file("missing.h5ad")
        assertFileError(missing, ["no such file or directory"]) { _ = try ExpressionReader.detectFormat(missing) }
        assertFileError(missing, ["no such file or directory"]) { _ = try ExpressionReader.open(missing) }
        let fake = try write("fake.h5ad", "cell,A\nc1,1\n")
        assertFileError(fake, ["not an HDF5 file"]) { _ = try ExpressionReader.open(fake) }
        let unknown = try write("data.xyz", "1\n")
        assertFileError(unknown, ["cannot tell the format"]) { _ = try ExpressionReader.open(unknown) }
        let other = tmp.file("other.h5")
        _ = try H5File(creatingAt: other).root().createGroup("something")
        assertFileError(other, ["neither AnnData", "something"]) { _ = try ExpressionReader.open(other) }
        // Forcing a format overrides the name.
        let csvAsTxt = try write("table.dat", "cell,A\nc1,1\n")
        XCTAssertEqual(try dense(try ExpressionReader.open(csvAsTxt, options: ReadOptions(format: .csv))), [[1]])
    }

    func testOptionsThatDoNotApplyAreRejected() throws {
        let csv = try write("x.csv", "cell,A\nc1,1\n")
        assertFileError(csv, ["--layer"]) { _ = try ExpressionReader.open(csv, options: ReadOptions(matrix: .layer("counts"))) }
        assertFileError(csv, ["--gene-column"]) { _ = try ExpressionReader.open(csv, options: ReadOptions(geneColumn: "gene_ids")) }
        assertFileError(csv, ["gene ids"]) { _ = try ExpressionReader.open(csv, options: ReadOptions(geneIDs: true)) }
        let folder = try writeTenX("opts", gzip: false, v3: true)
        assertFileError(folder, ["--genes-as-rows"]) { _ = try ExpressionReader.open(folder, options: ReadOptions(genesAsRows: true)) }
        assertFileError(folder, ["--layer"]) { _ = try ExpressionReader.open(folder, options: ReadOptions(matrix: .raw)) }
    }

    func testTransposedLookingTextWarns() throws {
        let path = try write("t.csv", "gene,AAACCTGAGAAACCAT-1,AAACCTGAGAAACCGC-1\nMT-CO1,1,2\nRPL3,3,0\n")
        let s = try ExpressionReader.open(path)
        XCTAssertTrue(s.warnings.contains { $0.contains("transposed") }, "\(s.warnings)")
        XCTAssertTrue(try ExpressionReader.open(path, options: ReadOptions(genesAsRows: true)).warnings.isEmpty)
    }

    // MARK: real data

    /// Row sums (per cell) and stored-entry count of a whole source.
    func summary(_ source: ExpressionSource) throws -> (nnz: Int, rowSums: [Double]) {
        var sums = [Double](repeating: 0, count: source.cellCount)
        var nnz = 0
        var start = 0
        while start < source.cellCount {
            let end = min(start + 512, source.cellCount)
            let b = try source.readRows(start..<end)
            nnz += b.storedCount
            for r in 0..<b.rowCount {
                var s = 0.0
                for k in b.range(ofRow: r) { s += Double(b.values[k]) }
                sums[start + r] = s
            }
            start = end
        }
        return (nnz, sums)
    }

    func testKangTenXFolderMatchesH5AD() throws {
        let folder = try TestPaths.sharedFile("kang-ifnb-sub2k/mtx")
        let h5adPath = try TestPaths.sharedFile("kang-ifnb-sub2k/kang_ifnb_sub2k.h5ad")
        let started = Date()
        let tenx = try ExpressionReader.open(folder)
        let seconds = Date().timeIntervalSince(started)
        let h5ad = try ExpressionReader.open(h5adPath)
        XCTAssertEqual(try ExpressionReader.detectFormat(h5adPath), .h5ad)
        XCTAssertEqual(tenx.cellCount, 2000)
        XCTAssertEqual(tenx.geneCount, 13215)
        XCTAssertEqual(tenx.geneNames, h5ad.geneNames)
        XCTAssertEqual(tenx.obs.index, h5ad.obs.index)
        let a = try summary(tenx), b = try summary(h5ad)
        XCTAssertEqual(a.nnz, 1_393_284)
        XCTAssertEqual(a.nnz, b.nnz)
        XCTAssertEqual(a.rowSums, b.rowSums)
        // Entries, not just sums, agree on a slice of cells.
        let x = try tenx.readRows(100..<140), y = try h5ad.readRows(100..<140)
        XCTAssertEqual(x.indptr, y.indptr)
        XCTAssertEqual(x.indices, y.indices)
        XCTAssertEqual(x.values, y.values)
        print("kang 10x folder read in \(String(format: "%.3f", seconds)) s")
    }

    func testKangTenXH5MatchesH5AD() throws {
        let h5adPath = try TestPaths.sharedFile("kang-ifnb-sub2k/kang_ifnb_sub2k.h5ad")
        let h5ad = try ExpressionReader.open(h5adPath)
        // A 10x HDF5 file holding the first 300 cells, written the way Cell Ranger lays it out.
        let cells = 300
        let block = try h5ad.readRows(0..<cells)
        let path = try writeTenXH5("kang.h5", v3: true, csr: block, genes: h5ad.geneNames, ids: h5ad.geneNames,
                                   barcodes: Array(h5ad.obs.index.prefix(cells)))
        let tenx = try ExpressionReader.open(path)
        XCTAssertEqual(tenx.geneNames, h5ad.geneNames)
        XCTAssertEqual(tenx.obs.index, Array(h5ad.obs.index.prefix(cells)))
        let all = try tenx.readRows(0..<cells)
        XCTAssertEqual(all.indptr, block.indptr)
        XCTAssertEqual(all.indices, block.indices)
        XCTAssertEqual(all.values, block.values)
        XCTAssertEqual(try summary(tenx).rowSums, Array(try summary(h5ad).rowSums.prefix(cells)))
    }
}
