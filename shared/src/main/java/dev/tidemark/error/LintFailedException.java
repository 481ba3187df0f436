package dev.tidemark.error;

import java.util.List;

/**
 * The lint found error-level findings without an approval marker in migrations that were about to run; nothing ran.
 * The message lists each finding as {@code RULE file:line message}.
 */
public class LintFailedException extends TidemarkException {

    /**
     * @param target the target name
     * @param findings the blocking findings, each as {@code RULE file:line message}
     */
    public LintFailedException(String target, List<String> findings) {
        super(ErrorCode.LINT_FAILED, false, "target '" + target + "': " + findings.size() + " lint error(s) without approval; nothing ran: "
            + String.join("; ", findings), null);
    }
}
