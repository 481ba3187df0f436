package dev.tidemark.lint;

import dev.tidemark.error.ValidationException;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Approval markers of one file: {@code tidemark:approve <RULE> <reason>} in a comment ({@code -- } in SQL, {@code #}
 * in {@code .http}) or, since JSON has no comments, as a string element of a MongoDB migration's command array. An
 * approval covers every finding of that rule in that file; the reason is recorded in the findings and the report.
 */
public final class Approvals {

    private static final Pattern MARKER = Pattern.compile("tidemark:approve\\b(.*)");
    private static final Pattern BODY = Pattern.compile("\\s+([A-Z]{2}\\d{3})\\s+(\\S.*?)\\s*(?:\"\\s*,?\\s*)?$");

    private final Map<String, String> reasons = new HashMap<>();

    private Approvals() {
    }

    /**
     * @param file the file name, for errors
     * @param content the file text
     * @return the approvals
     * @throws ValidationException naming file and line for a marker without a known rule id or without a reason
     */
    public static Approvals of(String file, String content) {
        Approvals a = new Approvals();
        String[] lines = content.split("\\R", -1);
        for (int i = 0; i < lines.length; i++) {
            Matcher m = MARKER.matcher(lines[i]);
            if (!m.find()) {
                continue;
            }
            String where = file + ":" + (i + 1) + ": approval marker";
            Matcher b = BODY.matcher(m.group(1));
            if (!b.matches()) {
                throw new ValidationException(where + " is malformed; expected 'tidemark:approve <RULE> <reason>', e.g. "
                    + "'tidemark:approve PG005 column unused since release 2026.10'");
            }
            String id = b.group(1);
            if (Rule.byId(id).isEmpty()) {
                throw new ValidationException(where + " names unknown rule '" + id + "'");
            }
            a.reasons.put(id, b.group(2));
        }
        return a;
    }

    /**
     * @param rule a rule
     * @return the approval's reason, or {@code null}
     */
    public String reason(Rule rule) {
        return reasons.get(rule.name());
    }
}
