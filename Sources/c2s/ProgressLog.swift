import Foundation

/// The plain progress lines written in place of a progress bar when stderr is not a terminal
/// (the log file of a cluster job or CI), where a bar redrawn with `\r` would be one endless
/// line, or nothing at all.
///
/// A line is due when `interval` seconds have passed since the last one or `fractionStep` of
/// the total has been done since, whichever comes first, and once when a phase completes:
///
///     annotating: 1200/4000 cells (30%), 85.1 cells/s, ETA 33s, elapsed 14s
///
/// The type only decides and formats; the caller passes the clock (seconds since progress
/// reporting began) and prints, so the timing rules can be tested without waiting.
struct ProgressLog {
    /// The longest silence between lines while updates keep arriving, in seconds.
    static let interval = 10.0
    /// The share of a phase's total that earns a line (as 1 / this many: 5 %).
    static let stepsPerPhase = 20

    private var phase: String?
    /// When the current phase began: at the update before its first one (the work of its
    /// first update happened since then), or at the start for the first phase.
    private var phaseStart = 0.0
    private var lastUpdate = 0.0
    private var lastLineTime = 0.0
    private var lastLineDone = 0
    /// Whether the current phase's completion line has been written (it is written once).
    private var completed = false

    init() {}

    /// Records that `done` of `total` `unit`s of `phase` are done at `now` (seconds since
    /// reporting began) and returns the line to write, if one is due. A new phase name starts
    /// a new count (phases count from 0).
    mutating func update(phase: String, done: Int, total: Int, unit: String, now: Double) -> String? {
        if phase != self.phase {
            self.phase = phase
            phaseStart = lastUpdate
            lastLineTime = lastUpdate
            lastLineDone = 0
            completed = false
        }
        lastUpdate = now
        if done >= total {
            guard !completed else { return nil }
            completed = true
        } else {
            // Integer arithmetic: 5 % steps in floating point would miss by an ulp.
            let progressed = (done - lastLineDone) * Self.stepsPerPhase >= total
            guard progressed || now - lastLineTime >= Self.interval else { return nil }
        }
        lastLineTime = now
        lastLineDone = done
        return line(phase: phase, done: done, total: total, unit: unit, now: now)
    }

    private func line(phase: String, done: Int, total: Int, unit: String, now: Double) -> String {
        let percent = total > 0 ? min(100, done * 100 / total) : 100
        let seconds = now - phaseStart
        let rate = seconds > 0 ? Double(done) / seconds : .nan
        let rateText = rate.isFinite ? String(format: "%.1f", rate) : "?"
        let eta = done >= total ? 0 : rate > 0 ? Double(total - done) / rate : .nan
        return "\(phase): \(done)/\(total) \(unit) (\(percent)%), \(rateText) \(unit)/s, ETA \(durationText(eta)), elapsed \(durationText(now))"
    }
}
