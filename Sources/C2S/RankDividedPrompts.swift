import Foundation
import Mechanics
import Prompts
import SingleCell
import Transformer

/// A prompt file read by the ranks of a data-parallel run together: each rank parses and
/// tokenizes the lines of its share of the file's bytes (`TextFileShare`), then every rank
/// broadcasts its examples in turn, so each ends with the training and validation files one
/// process would have made (the same examples in the same order) and the same counts, reports
/// and tasks seen. Tokenizing a file is divided among the ranks instead of repeated by each.
///
/// Errors are those of one process too: every rank reads the file's first record (its format is
/// the one every record is checked against and joined by), lines keep their numbers in the
/// whole file, only the validation records one process would encode are encoded, and when
/// ranks fail, every rank throws the error of the first failing rank in file order. A file with
/// one bad line fails with the message one process gives; with several, the ranks report the
/// first bad line of the first failing share, where one process, which parses up to 4,096
/// records ahead of encoding them, may report a later one.
enum RankDividedPrompts {
    /// Bytes of examples per broadcast.
    static let transferBytes = 16 << 20

    static func read(path: String, split: String, validationSplit: String?, validationLimit: Int?, seen: TrainingTasksSeen,
                     encoder: (PromptJoin) -> PromptEncoder, folder: String?, group: any Communicator) throws -> StreamedPrompts {
        // The same on every rank (so any error is too), before any collective.
        guard let first = try PromptDataset.firstRecord(path: path) else { throw PromptDataset.noRecords(path) }
        let fileSize: UInt64
        do { fileSize = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.uint64Value ?? 0 } catch {
            throw FileError(path, "cannot be read (\(error.localizedDescription))")
        }
        let bytes = TextFileShare.bytes(part: group.rank, of: group.size, size: fileSize)
        // The first line number of this rank's share: the line ends before it, counted by the ranks before.
        let lineEnds = try settle(Result { try TextFileLines.lineEnds(path: path, in: TextFileShare.countedLineEnds(of: bytes)) }, group: group)
        var counted = [Double](repeating: 0, count: group.size)
        counted[group.rank] = Double(lineEnds)
        counted = try group.allReduceSum(counted)
        let share = TextFileShare(bytes: bytes, firstLine: TextFileShare.firstLine(start: bytes.lowerBound,
                                                                                  lineEndsBefore: Int(counted[..<group.rank].reduce(0, +))))
        var part = try settle(Result {
            try StreamedPromptsPart.read(path: path, share: share, first: first, split: split, validationSplit: validationSplit,
                                         validationLimit: validationLimit, deferValidation: true, seen: seen, encoder: encoder, folder: folder)
        }, group: group)

        // Every rank's figures on every rank, merged in rank (file) order.
        let summaries = try gather(Summary(part), group: group)
        var counts: [String: Int] = [:]
        var trainReport = TruncationReport()
        var merged = seen
        var keptValidation: [Int] = []
        for s in summaries {
            for (name, n) in s.counts { counts[name, default: 0] += n }
            trainReport.merge(s.trainReport)
            merged.merge(s.seen)
            // Under a limit, the file's first validation records: each rank's first ones, in order.
            keptValidation.append(min(s.validationCount, (validationLimit ?? .max) - keptValidation.reduce(0, +)))
        }
        // Only the validation records one process would encode are encoded.
        let validationReport = try gather(settle(Result {
            try part.encodeValidation(first: keptValidation[group.rank])
            return part.validationReport
        }, group: group), group: group).reduce(into: TruncationReport()) { $0.merge($1) }

        let train = try TokenizedExampleFile(folder: folder), validation = try TokenizedExampleFile(folder: folder)
        for root in 0..<group.size {
            try transfer(part.train, count: summaries[root].trainCount, tasks: summaries[root].trainTasks, root: root, into: train, group: group)
        }
        let validationTasks = try gather(try part.validation.tasks(), group: group)
        for root in 0..<group.size {
            try transfer(part.validation, count: keptValidation[root], tasks: validationTasks[root], root: root, into: validation, group: group)
        }
        try train.finish()
        try validation.finish()
        return StreamedPrompts(train: train, trainReport: trainReport, validation: validation, validationReport: validationReport,
                               splitCounts: counts, promptFormat: first.promptFormat, join: try PromptJoin.of(format: first.promptFormat),
                               seen: merged)
    }

    /// What a rank tells the others about its share.
    struct Summary: Codable {
        var counts: [String: Int]
        var trainCount: Int
        var trainTasks: [String]
        var trainReport: TruncationReport
        /// Validation records read (to be encoded: the first of them that the limit keeps).
        var validationCount: Int
        var seen: TrainingTasksSeen

        init(_ part: StreamedPromptsPart) throws {
            counts = part.counts
            trainCount = part.train.count
            trainTasks = try part.train.tasks()
            trainReport = part.trainReport
            validationCount = part.validationRecords.count
            seen = part.seen
        }
    }

    /// The first `count` examples of rank `root`'s `part` appended to every rank's `file`, in
    /// broadcasts of about `transferBytes`: per example its length, loss start and task (0: none;
    /// k: `tasks[k − 1]`) as three UInt32, then its tokens.
    static func transfer(_ part: TokenizedExampleFile, count: Int, tasks: [String], root: Int, into file: TokenizedExampleFile,
                         group: any Communicator) throws {
        guard count > 0 else { return }
        if group.rank == root {
            let ids = Dictionary(uniqueKeysWithValues: tasks.enumerated().map { ($1, UInt32($0 + 1)) })
            var buffer: [UInt8] = []
            var packed = 0
            func put(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) } }
            try part.forEachExample { e in
                guard packed < count else { return }
                packed += 1
                try file.append(e)
                put(UInt32(e.tokens.count))
                put(UInt32(e.lossStart))
                put(e.task.flatMap { ids[$0] } ?? 0)
                e.tokens.withUnsafeBytes { buffer.append(contentsOf: $0) }
                if buffer.count >= transferBytes {
                    _ = try group.broadcast(bytes: buffer, root: root)
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            if !buffer.isEmpty { _ = try group.broadcast(bytes: buffer, root: root) }
        } else {
            var received = 0
            while received < count {
                let buffer = try group.broadcast(bytes: [], root: root)
                try buffer.withUnsafeBytes { raw in
                    var at = 0
                    func next() -> UInt32 {
                        defer { at += 4 }
                        return UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self))
                    }
                    while at < raw.count {
                        let length = Int(next()), lossStart = Int(next()), task = Int(next())
                        var tokens = [Int32](repeating: 0, count: length)
                        tokens.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[at..<(at + 4 * length)])) }
                        at += 4 * length
                        try file.append(TrainingExample(tokens: tokens, lossStart: lossStart, task: task == 0 ? nil : tasks[task - 1]))
                        received += 1
                    }
                }
            }
        }
    }

    /// Every rank's `value`, in rank order, on every rank.
    static func gather<T: Codable>(_ value: T, group: any Communicator) throws -> [T] {
        let own = [UInt8](try JSONEncoder().encode(value))
        return try (0..<group.size).map { root in
            try JSONDecoder().decode(T.self, from: Data(try group.broadcast(bytes: own, root: root)))
        }
    }

    /// `result`'s value when no rank failed; else every rank throws the error of the first rank
    /// that failed (its own error on that rank): no rank is left waiting in a collective.
    static func settle<T>(_ result: Result<T, any Error>, group: any Communicator) throws -> T {
        var failed = [Double](repeating: 0, count: group.size)
        if case .failure = result { failed[group.rank] = 1 }
        failed = try group.allReduceSum(failed)
        guard let k = failed.firstIndex(where: { $0 > 0 }) else { return try result.get() }
        var message: [UInt8] = []
        if group.rank == k, case .failure(let error) = result {
            let code = (error as? any C2SError)?.exitCode ?? 1
            message = Array("\(code)\n\(error)".utf8)
        }
        let received = String(decoding: try group.broadcast(bytes: message, root: k), as: UTF8.self)
        if group.rank == k { _ = try result.get() }
        let code = received.prefix { $0 != "\n" }
        throw RankFailure(description: String(received.dropFirst(code.count + 1)), exitCode: Int32(code) ?? 1)
    }
}

/// Another rank's error, as that rank described it.
struct RankFailure: C2SError {
    var description: String
    var exitCode: Int32
}
