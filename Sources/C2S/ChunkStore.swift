import Foundation
import SingleCell

/// The finished chunks of a long run, kept on disk beside its output until the output is
/// complete, so that an interrupted run can be resumed without redoing them.
///
/// The folder `.<output name>.c2s-run` (next to the output) holds `run.json` (the settings of
/// the run) and one file per finished chunk, each written under a temporary name and renamed
/// into place, so a chunk file that exists is whole. A resumed run must have the same settings;
/// once the output is written the folder is removed.
public final class ChunkStore {
    public let folder: String
    public let output: String
    /// Chunks found finished when the store was opened.
    public private(set) var resumedChunks = 0

    static let settingsFile = "run.json"

    /// Opens the store of `output`.
    ///
    /// - `resume`: continue the chunks of an earlier run with the same `settings` (an error
    ///   names the settings that differ); without an earlier run, start afresh.
    /// - Without `resume`, an earlier run's chunks are an error (pass `resume` or `overwrite`),
    ///   and `overwrite` discards them.
    /// - An existing output is an error unless `overwrite`.
    public init(output: String, settings: [String: String], resume: Bool, overwrite: Bool) throws {
        self.output = output
        let url = URL(fileURLWithPath: output)
        let parent = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDir), isDir.boolValue else {
            throw FileError(output, "the folder \(parent) does not exist")
        }
        if FileManager.default.fileExists(atPath: output) && !overwrite {
            throw FileError(output, "already exists; pass --overwrite to replace it")
        }
        folder = parent + "/." + url.lastPathComponent + ".c2s-run"
        let fm = FileManager.default
        let settingsPath = folder + "/" + Self.settingsFile
        if fm.fileExists(atPath: folder) {
            if resume, let data = fm.contents(atPath: settingsPath),
               let earlier = try? JSONSerialization.jsonObject(with: data) as? [String: String] {
                let differing = Set(earlier.keys).union(settings.keys).filter { earlier[$0] != settings[$0] }.sorted()
                guard differing.isEmpty else {
                    let list = differing.map { "\($0): \(earlier[$0] ?? "(unset)") then, \(settings[$0] ?? "(unset)") now" }
                    throw FileError(output, "cannot resume: the interrupted run in \(folder) had other settings (\(list.joined(separator: "; "))); run with the same settings, or pass --overwrite to start again")
                }
                resumedChunks = (try? fm.contentsOfDirectory(atPath: folder))?.filter { $0.hasPrefix("chunk-") && !$0.contains(".tmp") }.count ?? 0
                return
            }
            if !resume && !overwrite {
                let chunks = (try? fm.contentsOfDirectory(atPath: folder))?.filter { $0.hasPrefix("chunk-") && !$0.contains(".tmp") }.count ?? 0
                throw FileError(output, "an interrupted run left \(chunks) finished chunk(s) in \(folder); pass --resume to continue it, or --overwrite to start again")
            }
            try? fm.removeItem(atPath: folder)
        }
        do {
            try fm.createDirectory(atPath: folder, withIntermediateDirectories: false)
            let data = try JSONSerialization.data(withJSONObject: settings, options: [.sortedKeys, .prettyPrinted])
            try data.write(to: URL(fileURLWithPath: settingsPath))
        } catch {
            throw FileError(output, "cannot create the run folder \(folder) (\(error.localizedDescription))")
        }
    }

    func path(_ chunk: Int) -> String { folder + String(format: "/chunk-%06d.jsonl", chunk) }

    public func has(_ chunk: Int) -> Bool { FileManager.default.fileExists(atPath: path(chunk)) }

    /// Writes chunk `chunk` whole (temporary name, then rename).
    public func write(_ chunk: Int, lines: [String]) throws {
        var text = lines.joined(separator: "\n")
        text += "\n"
        try AtomicTextFile.write(Data(text.utf8), to: path(chunk))
    }

    /// The lines of chunk `chunk`.
    public func read(_ chunk: Int) throws -> [Substring] {
        guard let data = FileManager.default.contents(atPath: path(chunk)) else {
            throw FileError(path(chunk), "cannot be read (a chunk of the run went missing; start again with --overwrite)")
        }
        return String(decoding: data, as: UTF8.self).split(separator: "\n")
    }

    /// Removes the folder (after the output has been written).
    public func remove() {
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Runs `body`; if it fails before any chunk was finished, removes the folder, so a run
    /// that fails on bad input leaves nothing behind (finished chunks stay, for `--resume`).
    public func cleaningUp<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            let chunks = (try? FileManager.default.contentsOfDirectory(atPath: folder))?.filter { $0.hasPrefix("chunk-") && !$0.contains(".tmp") } ?? []
            if chunks.isEmpty { remove() }
            throw error
        }
    }
}

/// Runs `count` items in chunks, skipping chunks already in the store.
public struct ChunkedRun {
    public let store: ChunkStore
    public let count: Int
    public let chunkSize: Int
    /// Stop with an error after computing this many chunks, as an interruption would (tests).
    public var interruptAfter: Int?

    public init(store: ChunkStore, count: Int, chunkSize: Int) {
        self.store = store
        self.count = count
        self.chunkSize = max(1, chunkSize)
    }

    public var chunkCount: Int { (count + chunkSize - 1) / chunkSize }

    public func range(_ chunk: Int) -> Range<Int> { (chunk * chunkSize)..<min(count, (chunk + 1) * chunkSize) }

    /// Computes every missing chunk with `body` (one JSON line per item of the range) and
    /// reports items done after each chunk. Returns (chunks computed, chunks reused).
    @discardableResult
    public func run(progress: ((Int, Int) -> Void)? = nil, _ body: (Range<Int>) throws -> [String]) throws -> (computed: Int, reused: Int) {
        var computed = 0, reused = 0, done = 0
        for chunk in 0..<chunkCount {
            let r = range(chunk)
            if store.has(chunk) {
                reused += 1
            } else {
                if let limit = interruptAfter, computed >= limit {
                    throw DataError("interrupted after \(computed) chunk(s), as requested; finish with --resume")
                }
                let lines = try body(r)
                precondition(lines.count == r.count, "a chunk must give one line per item")
                try store.write(chunk, lines: lines)
                computed += 1
            }
            done += r.count
            progress?(done, count)
        }
        return (computed, reused)
    }

    /// Calls `body` with the lines of each chunk, in order (one chunk in memory at a time).
    public func forEachChunk(_ body: ([Substring]) throws -> Void) throws {
        for chunk in 0..<chunkCount {
            let part = try store.read(chunk)
            guard part.count == range(chunk).count else {
                throw FileError(store.path(chunk), "holds \(part.count) lines, expected \(range(chunk).count); start again with --overwrite")
            }
            try body(part)
        }
    }
}
