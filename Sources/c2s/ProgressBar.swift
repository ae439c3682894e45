import C2S
import Foundation

/// Progress on stderr, unless silenced: a one-line bar redrawn in place when stderr is a
/// terminal, and otherwise (a log file) plain lines at a steady pace (``ProgressLog``).
final class ProgressBar: @unchecked Sendable {
    private let drawsBar: Bool
    private let writesLines: Bool
    private var lastDraw = Date.distantPast
    /// The phase on the bar now; empty when nothing is drawn on the current line.
    private var lastPhase = ""
    private var log = ProgressLog()
    private let started = Date()
    private let lock = NSLock()

    /// - Parameter logLines: whether to write plain progress lines when stderr is not a
    ///   terminal (off for a command that logs its own progress lines, as `c2s train` does).
    init(quiet: Bool, logLines: Bool = true) {
        let terminal = isatty(STDERR_FILENO) != 0
        drawsBar = !quiet && terminal
        writesLines = !quiet && !terminal && logLines
    }

    func update(_ phase: String, _ done: Int, _ total: Int) {
        update(phase, done, total, unit: "cells")
    }

    /// Reports `done` of `total` `unit`s; `detail` (counts, rates, ETA) follows the bar, in
    /// place of the count and time.
    func update(_ phase: String, _ done: Int, _ total: Int, unit: String, detail: String? = nil) {
        guard drawsBar || writesLines else { return }
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        if writesLines {
            if let line = log.update(phase: phase, done: done, total: total, unit: unit, now: now.timeIntervalSince(started)) {
                printError(line)
            }
            return
        }
        guard phase != lastPhase || done >= total || now.timeIntervalSince(lastDraw) > 0.1 else { return }
        if phase != lastPhase && !lastPhase.isEmpty { FileHandle.standardError.write("\n".data(using: .utf8)!) }
        lastPhase = phase
        lastDraw = now
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let text = detail ?? String(format: "%d/%d %@  %.1fs", done, total, unit, now.timeIntervalSince(started))
        // Trailing spaces wipe what a longer previous line left behind.
        let line = String(format: "\r%@ %@ %3.0f%% %@   ", phase.padding(toLength: 18, withPad: " ", startingAt: 0), bar, fraction * 100, text)
        FileHandle.standardError.write(line.data(using: .utf8)!)
    }

    /// Ends the bar's line, so that what is printed next starts on a line of its own; the
    /// next update draws the bar afresh below it.
    func finish() {
        lock.lock(); defer { lock.unlock() }
        guard drawsBar, !lastPhase.isEmpty else { return }
        FileHandle.standardError.write("\n".data(using: .utf8)!)
        lastPhase = ""
    }

    /// Prints `text` as a line of its own on stderr, above the bar: on a terminal the bar's
    /// line is wiped and the next update draws it again below, so such lines scroll up while
    /// the bar stays at the bottom, with no stale copy of it left between them.
    func printAbove(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        if drawsBar && !lastPhase.isEmpty {
            // Carriage return, then ANSI "erase to end of line".
            FileHandle.standardError.write("\r\u{1B}[K".data(using: .utf8)!)
            lastPhase = ""
        }
        printError(text)
    }
}

/// Writes a line to stderr (warnings and summaries; stdout stays clean for data).
func printError(_ text: String) {
    FileHandle.standardError.write((text + "\n").data(using: .utf8)!)
}

extension ProgressBar {
    /// Shows a per-cell workflow's event: progress on the bar, warnings and notes on their own
    /// lines (unless quiet).
    func report(_ event: CellTaskEvent, quiet: Bool) {
        switch event {
        case .progress(let phase, let done, let total): update(phase, done, total)
        case .warning(let w): if !quiet { finish(); printError("warning: \(w)") }
        case .note(let n): if !quiet { finish(); printError("note: \(n)") }
        }
    }
}
