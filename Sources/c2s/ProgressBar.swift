import C2S
import Foundation

/// A one-line progress bar on stderr, drawn only when stderr is a terminal and not silenced.
final class ProgressBar: @unchecked Sendable {
    private let enabled: Bool
    private var lastDraw = Date.distantPast
    private var lastPhase = ""
    private let started = Date()
    private let lock = NSLock()

    init(quiet: Bool) {
        enabled = !quiet && isatty(STDERR_FILENO) != 0
    }

    func update(_ phase: String, _ done: Int, _ total: Int) {
        update(phase, done, total, detail: String(format: "%d/%d cells  %.1fs", done, total, Date().timeIntervalSince(started)))
    }

    /// Redraws the bar with `detail` (counts, rates, ETA) after it.
    func update(_ phase: String, _ done: Int, _ total: Int, detail: String) {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        guard phase != lastPhase || done >= total || now.timeIntervalSince(lastDraw) > 0.1 else { return }
        if phase != lastPhase && !lastPhase.isEmpty { FileHandle.standardError.write("\n".data(using: .utf8)!) }
        lastPhase = phase
        lastDraw = now
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        // Trailing spaces wipe what a longer previous line left behind.
        let line = String(format: "\r%@ %@ %3.0f%% %@   ", phase.padding(toLength: 18, withPad: " ", startingAt: 0), bar, fraction * 100, detail)
        FileHandle.standardError.write(line.data(using: .utf8)!)
    }

    func finish() {
        guard enabled, !lastPhase.isEmpty else { return }
        FileHandle.standardError.write("\n".data(using: .utf8)!)
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
