import Foundation
import TestSupport
import XCTest

/// The bad inputs a hostile or careless user gives c2s (issue 17): each must exit with status 2,
/// say on stderr which file is at fault and what is wrong with it (one line), and leave nothing
/// under the output's name, nor a temporary beside it.
final class BadInputCatalogueTests: XCTestCase {
    /// One bad input. In `args`, `file`, `output` and `problem`, `$T` is the case's temporary
    /// folder, `$F` the fixtures and `$M` the tiny text model (lm/pythia_text).
    struct Case {
        var name: String
        var setup: (String) throws -> Void = { _ in }
        var args: [String]
        /// The path the error must name.
        var file: String
        /// Words of the problem that the error's first line must hold.
        var problem: String
        /// The output the run must not leave.
        var output: String
        /// Most errors are one line; a checkpoint that disagrees with its config lists every
        /// differing tensor after it.
        var oneLine = true
    }

    static let fixtures = TestPaths.fixtures.path
    static let model = TestPaths.fixtures.appendingPathComponent("lm/pythia_text").path

    func expand(_ text: String, _ tmp: String) -> String {
        text.replacingOccurrences(of: "$T", with: tmp).replacingOccurrences(of: "$F", with: Self.fixtures)
            .replacingOccurrences(of: "$M", with: Self.model)
    }

    func check(_ cases: [Case]) throws {
        for c in cases {
            let tmp = try TemporaryFolder()
            try c.setup(tmp.path)
            let before = Set(try FileManager.default.contentsOfDirectory(atPath: tmp.path))
            let r = try runProcess(TestPaths.c2sExecutable, c.args.map { expand($0, tmp.path) })
            let file = expand(c.file, tmp.path), output = expand(c.output, tmp.path)
            let first = r.stderr.split(separator: "\n").first.map(String.init) ?? ""
            XCTAssertEqual(r.status, 2, "\(c.name): \(r.stderr)")
            XCTAssertTrue(first.hasPrefix("error: ") && first.contains(file), "\(c.name): does not name \(file): \(r.stderr)")
            XCTAssertTrue(first.contains(expand(c.problem, tmp.path)), "\(c.name): does not say \(c.problem): \(r.stderr)")
            if c.oneLine { XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(c.name): \(r.stderr)") }
            XCTAssertFalse(FileManager.default.fileExists(atPath: output), "\(c.name): left \(output)")
            let after = Set(try FileManager.default.contentsOfDirectory(atPath: tmp.path))
            XCTAssertEqual(after.subtracting(before), [], "\(c.name): left files behind")
        }
    }

    static func write(_ text: String, _ path: String) throws { try text.write(toFile: path, atomically: false, encoding: .utf8) }

    static func bytes(_ data: Data, _ path: String) throws { try data.write(to: URL(fileURLWithPath: path)) }

    /// A Matrix Market folder: matrix.mtx with `matrix`, genes.tsv with `genes`, two barcodes.
    static func mtx(_ tmp: String, _ matrix: String, genes: String = "G1\nG2\n") throws {
        try FileManager.default.createDirectory(atPath: tmp + "/m", withIntermediateDirectories: true)
        try write("%%MatrixMarket matrix coordinate integer general\n" + matrix, tmp + "/m/matrix.mtx")
        try write(genes, tmp + "/m/genes.tsv")
        try write("c1\nc2\n", tmp + "/m/barcodes.tsv")
    }

    /// The text model with its config edited (`edit`) or one file replaced (`replace`).
    static func model(_ tmp: String, edit: ((inout [String: Any]) -> Void)? = nil, replace: (String, Data?)? = nil) throws {
        let folder = tmp + "/m"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for entry in try FileManager.default.contentsOfDirectory(atPath: model) {
            try FileManager.default.createSymbolicLink(atPath: folder + "/" + entry, withDestinationPath: model + "/" + entry)
        }
        if let edit {
            var config = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model + "/config.json"))) as? [String: Any])
            config["rope_parameters"] = nil
            edit(&config)
            try FileManager.default.removeItem(atPath: folder + "/config.json")
            try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: folder + "/config.json"))
        }
        if let (name, data) = replace {
            try FileManager.default.removeItem(atPath: folder + "/" + name)
            if let data { try data.write(to: URL(fileURLWithPath: folder + "/" + name)) }
        }
    }

    /// The text model's safetensors with its header edited.
    static func safetensors(_ edit: (inout [String: Any]) -> Void) throws -> Data {
        let data = try Data(contentsOf: URL(fileURLWithPath: model + "/model.safetensors"))
        let length = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        var header = try XCTUnwrap(try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as? [String: Any])
        edit(&header)
        let text = try JSONSerialization.data(withJSONObject: header)
        var out = Data()
        withUnsafeBytes(of: UInt64(text.count).littleEndian) { out.append(contentsOf: $0) }
        return out + text + data.subdata(in: (8 + length)..<data.count)
    }

    func testConvertCatalogue() throws {
        let convert = ["convert", "--min-genes", "0", "--min-cells", "0", "-o", "$T/out"]
        let csv = "$T/in.csv", h5ad = "$F/h5ad/csr_float64.h5ad"
        func text(_ body: String, _ name: String = "in.csv") -> (String) throws -> Void { { try Self.write(body, $0 + "/" + name) } }
        try check([
            Case(name: "missing input", args: convert + ["$T/nope.h5ad"], file: "$T/nope.h5ad", problem: "no such file", output: "$T/out"),
            Case(name: "empty h5ad", setup: text("", "in.h5ad"), args: convert + ["$T/in.h5ad"], file: "$T/in.h5ad", problem: "not an HDF5 file", output: "$T/out"),
            Case(name: "text named h5ad", setup: text("hello\n", "in.h5ad"), args: convert + ["$T/in.h5ad"], file: "$T/in.h5ad", problem: "not an HDF5 file", output: "$T/out"),
            Case(name: "truncated h5ad", setup: { try Self.bytes(try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/h5ad/csr_float64.h5ad")).prefix(10000), $0 + "/in.h5ad") },
                 args: convert + ["$T/in.h5ad"], file: "$T/in.h5ad", problem: "truncated or corrupt", output: "$T/out"),
            Case(name: "libhdf5 crash", args: convert + ["$F/h5ad/damaged/global_heap_string_size.h5ad"], file: "global_heap_string_size.h5ad",
                 problem: "corrupt HDF5: libhdf5 crashed", output: "$T/out"),
            Case(name: "categorical code out of range", args: convert + ["$F/h5ad/damaged/categorical_code_out_of_range.h5ad"],
                 file: "categorical_code_out_of_range.h5ad", problem: "outside its 3 categories", output: "$T/out"),
            Case(name: "duplicate CSR index", args: convert + ["$F/h5ad/damaged/duplicate_column_index.h5ad"], file: "duplicate_column_index.h5ad",
                 problem: "more than once", output: "$T/out"),
            Case(name: "ragged CSV", setup: text("cell,G1,G2\nc1,1,2\nc2,3\n"), args: convert + [csv], file: csv, problem: "ragged table", output: "$T/out"),
            Case(name: "non-numeric CSV", setup: text("cell,G1,G2\nc1,1,x\n"), args: convert + [csv], file: csv, problem: "'x' is not a number", output: "$T/out"),
            Case(name: "negative count", setup: text("cell,G1,G2\nc1,1,-2\n"), args: convert + [csv], file: csv, problem: "value is negative", output: "$T/out"),
            Case(name: "infinite count", setup: text("cell,G1,G2\nc1,1,inf\n"), args: convert + [csv], file: csv, problem: "value is infinite", output: "$T/out"),
            Case(name: "NaN count", setup: text("cell,G1,G2\nc1,1,nan\n"), args: convert + [csv], file: csv, problem: "value is NaN", output: "$T/out"),
            Case(name: "no cells", setup: text("cell,G1,G2\n"), args: convert + [csv], file: csv, problem: "the matrix is empty", output: "$T/out"),
            Case(name: "duplicate cell names", setup: text("cell,G1,G2\nc1,1,2\nc1,3,4\n"), args: convert + [csv], file: csv, problem: "cell names are not unique", output: "$T/out"),
            Case(name: "duplicate gene names", setup: text("cell,G1,G1\nc1,1,2\n"), args: convert + [csv], file: csv, problem: "duplicated", output: "$T/out"),
            Case(name: "truncated gzip", setup: { try Self.bytes(Data([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3, 0x4b]), $0 + "/in.csv.gz") },
                 args: convert + ["$T/in.csv.gz"], file: "$T/in.csv.gz", problem: "corrupt or truncated gzip", output: "$T/out"),
            Case(name: "mtx entry outside", setup: { try Self.mtx($0, "2 2 1\n3 1 5\n") }, args: convert + ["$T/m/matrix.mtx"], file: "$T/m/matrix.mtx",
                 problem: "outside the 2 x 2 matrix", output: "$T/out"),
            Case(name: "mtx dense", setup: { try Self.write("%%MatrixMarket matrix array integer general\n2 2\n1\n2\n3\n4\n", $0 + "/a.mtx") },
                 args: convert + ["$T/a.mtx"], file: "$T/a.mtx", problem: "only sparse 'coordinate'", output: "$T/out"),
            Case(name: "mtx short", setup: { try Self.mtx($0, "2 2 5\n1 1 5\n") }, args: convert + ["$T/m/matrix.mtx"], file: "$T/m/matrix.mtx",
                 problem: "declares 5 entries but the file has 1", output: "$T/out"),
            Case(name: "mtx bad index", setup: { try Self.mtx($0, "2 2 1\n1 x 4\n") }, args: convert + ["$T/m/matrix.mtx"], file: "$T/m/matrix.mtx",
                 problem: "'x' is not a valid column index", output: "$T/out"),
            Case(name: "mtx huge size", setup: { try Self.mtx($0, "99999999999 2 1\n1 1 4\n") }, args: convert + ["$T/m/matrix.mtx"], file: "$T/m/matrix.mtx",
                 problem: "is too large", output: "$T/out"),
            Case(name: "mtx genes of another matrix", setup: { try Self.mtx($0, "2 2 1\n1 1 4\n", genes: "G1\nG2\nG3\n") }, args: convert + ["$T/m/matrix.mtx"],
                 file: "$T/m/genes.tsv", problem: "do not belong together", output: "$T/out"),
            Case(name: "10x folder without barcodes", setup: { tmp in
                try Self.mtx(tmp, "2 2 1\n1 1 4\n")
                try FileManager.default.removeItem(atPath: tmp + "/m/barcodes.tsv")
                try FileManager.default.moveItem(atPath: tmp + "/m/genes.tsv", toPath: tmp + "/m/features.tsv")
            }, args: convert + ["$T/m"], file: "$T/m", problem: "no barcodes.tsv", output: "$T/out"),
            Case(name: "output folder missing", args: ["convert", h5ad, "-o", "$T/missing/out"], file: "$T/missing/out", problem: "does not exist", output: "$T/missing/out"),
            Case(name: "output is the input", setup: text("cell,G1,G2\nc1,1,2\n"), args: ["convert", csv, "-o", csv, "--overwrite"], file: csv,
                 problem: "is the input", output: "$T/none"),
            Case(name: "no such layer", args: convert + [h5ad, "--layer", "nope"], file: h5ad, problem: "no layer 'nope'", output: "$T/out"),
            Case(name: "no such obs column", args: convert + [h5ad, "--obs-columns", "nope"], file: h5ad, problem: "obs has no column 'nope'", output: "$T/out"),
            Case(name: "no such var column", args: convert + [h5ad, "--gene-column", "nope"], file: h5ad, problem: "var has no column 'nope'", output: "$T/out"),
            Case(name: "no raw", args: convert + [h5ad, "--raw"], file: h5ad, problem: "no raw matrix", output: "$T/out"),
            Case(name: "CSV read as h5ad", setup: text("cell,G1,G2\nc1,1,2\n"), args: convert + [csv, "--format", "h5ad"], file: csv, problem: "not an HDF5 file", output: "$T/out"),
        ])
    }

    func testModelCatalogue() throws {
        let generate = ["lm", "generate", "--model", "$T/m", "--prompt", "The cell", "--max-new-tokens", "2", "-o", "$T/gen.jsonl"]
        let withModel = ["lm", "generate", "--model", "$M", "--max-new-tokens", "2", "-o", "$T/gen.jsonl"]
        let config = "$T/m/config.json", weights = "$T/m/model.safetensors"
        let original = try Data(contentsOf: URL(fileURLWithPath: Self.model + "/model.safetensors"))
        try check([
            Case(name: "config not JSON", setup: { try Self.model($0, replace: ("config.json", Data("{".utf8))) }, args: generate, file: config,
                 problem: "is not a JSON object", output: "$T/gen.jsonl"),
            Case(name: "unsupported model_type", setup: { try Self.model($0) { $0["model_type"] = "bert" } }, args: generate, file: config,
                 problem: "model_type \"bert\" is not supported", output: "$T/gen.jsonl"),
            Case(name: "rotary factor 4", setup: { try Self.model($0) { $0["partial_rotary_factor"] = 4 } }, args: generate, file: config,
                 problem: "partial_rotary_factor", output: "$T/gen.jsonl"),
            Case(name: "rotary factor -1", setup: { try Self.model($0) { $0["partial_rotary_factor"] = -1 } }, args: generate, file: config,
                 problem: "partial_rotary_factor", output: "$T/gen.jsonl"),
            Case(name: "hidden_size 2^31", setup: { try Self.model($0) { $0["hidden_size"] = 1 << 31 } }, args: generate, file: config,
                 problem: "hidden_size", output: "$T/gen.jsonl"),
            Case(name: "layer count the tensors contradict", setup: { try Self.model($0) { $0["num_hidden_layers"] = 7 } }, args: generate, file: config,
                 problem: "num_hidden_layers", output: "$T/gen.jsonl", oneLine: false),
            Case(name: "zero epsilon", setup: { try Self.model($0) { $0["layer_norm_eps"] = 0 } }, args: generate, file: config,
                 problem: "layer_norm_eps", output: "$T/gen.jsonl"),
            Case(name: "truncated weights", setup: { try Self.model($0, replace: ("model.safetensors", original.prefix(1000))) }, args: generate, file: weights,
                 problem: "truncated", output: "$T/gen.jsonl"),
            Case(name: "huge header length", setup: { tmp in
                var damaged = original
                damaged.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(1 << 60).littleEndian) { Data($0) })
                try Self.model(tmp, replace: ("model.safetensors", damaged))
            }, args: generate, file: weights, problem: "exceeds the 100 MB limit", output: "$T/gen.jsonl"),
            Case(name: "offsets past the data", setup: { tmp in
                let damaged = try Self.safetensors { header in
                    var entry = header["embed_out.weight"] as! [String: Any]
                    let offsets = entry["data_offsets"] as! [Int]
                    entry["data_offsets"] = [offsets[0], offsets[1] + 1_000_000_000]
                    header["embed_out.weight"] = entry
                }
                try Self.model(tmp, replace: ("model.safetensors", damaged))
            }, args: generate, file: weights, problem: "data_offsets", output: "$T/gen.jsonl"),
            Case(name: "no weights", setup: { try Self.model($0, replace: ("model.safetensors", nil)) }, args: generate, file: "$T/m",
                 problem: "no model weights found", output: "$T/gen.jsonl"),
            Case(name: "tokenizer not JSON", setup: { try Self.model($0, replace: ("tokenizer.json", Data("nope".utf8))) }, args: generate,
                 file: "$T/m/tokenizer.json", problem: "not valid JSON", output: "$T/gen.jsonl"),
            Case(name: "tokenizer without model", setup: { try Self.model($0, replace: ("tokenizer.json", Data("{\"version\": \"1.0\"}".utf8))) }, args: generate,
                 file: "$T/m/tokenizer.json", problem: "model: missing", output: "$T/gen.jsonl"),
            Case(name: "generation_config not JSON", setup: { try Self.model($0, replace: ("generation_config.json", Data("{\"eos_token_id\": ".utf8))) },
                 args: generate, file: "$T/m/generation_config.json", problem: "is not a JSON object", output: "$T/gen.jsonl"),
            Case(name: "no model folder", args: ["lm", "generate", "--model", "$T/nope", "--prompt", "x", "-o", "$T/gen.jsonl"], file: "$T/nope",
                 problem: "no such model folder", output: "$T/gen.jsonl"),
            Case(name: "no prompts file", args: withModel + ["--prompts", "$T/nope.jsonl"], file: "$T/nope.jsonl", problem: "cannot be read", output: "$T/gen.jsonl"),
            Case(name: "prompt line without text", setup: { try Self.write("{\"model_input\": \"a\"}\n{\"model_input\": 5}\n", $0 + "/p.jsonl") },
                 args: withModel + ["--prompts", "$T/p.jsonl"], file: "$T/p.jsonl:2", problem: "model_input, prompt or text", output: "$T/gen.jsonl"),
            Case(name: "empty prompts file", setup: { try Self.write("", $0 + "/p.jsonl") }, args: withModel + ["--prompts", "$T/p.jsonl"], file: "$T/p.jsonl",
                 problem: "no prompts", output: "$T/gen.jsonl"),
            Case(name: "token ids not an array", setup: { try Self.write("[1, 2\n", $0 + "/ids.jsonl") }, args: withModel + ["--prompt-ids", "$T/ids.jsonl"],
                 file: "$T/ids.jsonl:1", problem: "expected a JSON array of token ids", output: "$T/gen.jsonl"),
            Case(name: "token id outside the vocabulary", setup: { try Self.write("[1, 2, 99999]\n", $0 + "/ids.jsonl") },
                 args: withModel + ["--prompt-ids", "$T/ids.jsonl"], file: "$T/ids.jsonl:1", problem: "outside the model's vocabulary", output: "$T/gen.jsonl"),
            Case(name: "token id beyond 32 bits", setup: { try Self.write("[4294967301]\n", $0 + "/ids.jsonl") },
                 args: withModel + ["--prompt-ids", "$T/ids.jsonl"], file: "$T/ids.jsonl:1", problem: "outside the model's vocabulary", output: "$T/gen.jsonl"),
            Case(name: "output folder missing", args: withModel + ["--prompt", "x", "-o", "$T/missing/gen.jsonl"], file: "$T/missing/gen.jsonl",
                 problem: "does not exist", output: "$T/missing/gen.jsonl"),
            Case(name: "output is the prompts", setup: { try Self.write("{\"model_input\": \"a\"}\n", $0 + "/p.jsonl") },
                 args: withModel + ["--prompts", "$T/p.jsonl", "-o", "$T/p.jsonl", "--overwrite"], file: "$T/p.jsonl", problem: "is the input", output: "$T/gen.jsonl"),
        ])
    }

    func testDatasetCatalogue() throws {
        // One small, valid sentence dataset, damaged a different way by each case.
        let base = try TemporaryFolder()
        var rows = ["cell," + (0..<20).map { "G\($0)" }.joined(separator: ",")]
        for c in 0..<30 { rows.append("c\(c)," + (0..<20).map { String(($0 * 7 + c * 3) % 5) }.joined(separator: ",")) }
        try Self.write(rows.joined(separator: "\n") + "\n", base.file("in.csv"))
        let made = try runProcess(TestPaths.c2sExecutable, ["convert", base.file("in.csv"), "-o", base.file("ds"), "--min-genes", "0", "--min-cells", "0", "--quiet"])
        XCTAssertEqual(made.status, 0, made.stderr)
        func dataset(_ damage: @escaping (String) throws -> Void) -> (String) throws -> Void {
            { tmp in
                try FileManager.default.copyItem(atPath: base.file("ds"), toPath: tmp + "/d")
                try damage(tmp + "/d")
            }
        }
        try check([
            Case(name: "no manifest", setup: dataset { try FileManager.default.removeItem(atPath: $0 + "/manifest.json") }, args: ["inspect", "$T/d"],
                 file: "$T/d/manifest.json", problem: "no manifest.json", output: "$T/none"),
            Case(name: "manifest not JSON", setup: dataset { try Self.write("{\"broken\": ", $0 + "/manifest.json") }, args: ["inspect", "$T/d"],
                 file: "$T/d/manifest.json", problem: "is not valid", output: "$T/none"),
            Case(name: "truncated cells.jsonl", setup: dataset { d in
                let text = try String(contentsOfFile: d + "/cells.jsonl", encoding: .utf8)
                try Self.write(String(text.prefix(40)), d + "/cells.jsonl")
            }, args: ["prompts", "$T/d", "--task", "cell_type_prediction", "-o", "$T/p.jsonl"], file: "$T/d/cells.jsonl", problem: "not valid JSON", output: "$T/p.jsonl"),
            Case(name: "no vocab.tsv", setup: dataset { try FileManager.default.removeItem(atPath: $0 + "/vocab.tsv") }, args: ["reconstruct", "$T/d", "-o", "$T/r.h5ad"],
                 file: "$T/d/vocab.tsv", problem: "missing", output: "$T/r.h5ad"),
            Case(name: "vocab.tsv without genes", setup: dataset { try Self.write("gene\tn_cells\n", $0 + "/vocab.tsv") }, args: ["reconstruct", "$T/d", "-o", "$T/r.h5ad"],
                 file: "$T/d/vocab.tsv", problem: "lists no genes", output: "$T/r.h5ad"),
            Case(name: "vocab.tsv line malformed", setup: dataset { try Self.write("gene\tn_cells\nG1\tmany\n", $0 + "/vocab.tsv") },
                 args: ["reconstruct", "$T/d", "-o", "$T/r.h5ad"], file: "$T/d/vocab.tsv", problem: "is not 'gene<TAB>n_cells'", output: "$T/r.h5ad"),
            Case(name: "reconstruct into a missing folder", setup: dataset { _ in }, args: ["reconstruct", "$T/d", "-o", "$T/missing/r.h5ad"],
                 file: "$T/missing/r.h5ad", problem: "does not exist", output: "$T/missing/r.h5ad"),
            Case(name: "simulate over an existing file", setup: { try Self.write("mine", $0 + "/s.h5ad") }, args: ["simulate", "-o", "$T/s.h5ad", "--cells", "10"],
                 file: "$T/s.h5ad", problem: "already exists", output: "$T/none"),
            Case(name: "simulate into a missing folder", args: ["simulate", "-o", "$T/missing/s.h5ad", "--cells", "10"], file: "$T/missing/s.h5ad",
                 problem: "does not exist", output: "$T/missing/s.h5ad"),
        ])
    }
}
