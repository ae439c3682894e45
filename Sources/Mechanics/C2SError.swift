/// An error c2s reports to its user: one clear line (its `description`, naming the file or the
/// setting and the problem) and the exit code the command line ends with.
///
/// Exit codes: 2 for an input that cannot be read or used as given (a missing or malformed file,
/// an unsupported model, a bad option value found late), 3 for data that is readable but wrong
/// for the task (no cells left, an unknown column value, a template that does not fit), 4 for a
/// training run whose loss or gradient stopped being finite.
public protocol C2SError: Error, CustomStringConvertible {
    var exitCode: Int32 { get }
}
