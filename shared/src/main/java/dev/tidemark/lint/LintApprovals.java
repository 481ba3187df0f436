package dev.tidemark.lint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.error.ValidationException;
import dev.tidemark.json.Json;
import dev.tidemark.migration.MigrationScript;
import dev.tidemark.migration.MigrationVersion;
import dev.tidemark.upgrade.EventFields;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * Approvals kept outside the migration files, for a history that cannot be edited (applied files are checksummed):
 * {@code lint-approvals.json} beside the migrations of one store.
 * <pre>{@code
 * {"baseline": "152",
 *  "approvals": [{"version": "160", "rule": "PG005", "statement": "sha256:9f86d0...", "reason": "column unused since 2026.10"}]}
 * }</pre>
 * <ul>
 *   <li>{@code baseline}: findings in versions at or below it are still reported, with the approval
 *       {@code baseline <version>}, and never block (adopting an existing history);</li>
 *   <li>{@code approvals}: each approves the findings of one rule in one version whose statement matches: the SHA-256 of
 *       the finding's line, trimmed ({@link #statementHash}), so that an approval never covers another statement.</li>
 * </ul>
 * Unknown fields, an unknown rule, a malformed version or hash, or a missing reason are a {@link ValidationException}
 * naming the field.
 *
 * @param baseline the baseline version, or {@code null}
 * @param approvals the approvals
 */
public record LintApprovals(MigrationVersion baseline, List<Approval> approvals) {

    /** The file's name, beside a store's migrations. */
    public static final String FILE = "lint-approvals.json";

    /** No baseline, no approval. */
    public static final LintApprovals NONE = new LintApprovals(null, List.of());

    /**
     * One approval.
     *
     * @param version the migration's version
     * @param rule the rule id, e.g. {@code PG005}
     * @param statement {@code sha256:<hex>} of the finding's line, trimmed
     * @param reason why it is approved
     */
    public record Approval(MigrationVersion version, String rule, String statement, String reason) {
    }

    /** Canonical constructor: copies the list. */
    public LintApprovals {
        approvals = List.copyOf(approvals);
    }

    /**
     * @param json the file's content, or {@code null} for {@link #NONE}
     * @return the approvals
     * @throws ValidationException naming the field ({@code lint-approvals.json: approvals[2].rule: ...})
     */
    public static LintApprovals parse(String json) {
        if (json == null) {
            return NONE;
        }
        JsonNode n;
        try {
            n = Json.readStrict(new java.io.ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), FILE);
        } catch (java.io.IOException e) {
            throw new ValidationException(FILE + ": not valid JSON");
        }
        String f = FILE + ": ";
        if (n == null || !n.isObject()) {
            throw new ValidationException(f + "expected {\"baseline\": ..., \"approvals\": [...]}");
        }
        EventFields.unknown(n, Set.of("baseline", "approvals"), f);
        MigrationVersion baseline = n.hasNonNull("baseline") ? version(n.get("baseline"), f + "baseline") : null;
        List<Approval> out = new ArrayList<>();
        JsonNode list = n.path("approvals");
        if (!list.isMissingNode() && !list.isArray()) {
            throw new ValidationException(f + "approvals: expected an array");
        }
        for (int i = 0; i < list.size(); i++) {
            String p = f + "approvals[" + i + "].";
            JsonNode a = list.get(i);
            if (!a.isObject()) {
                throw new ValidationException(p.substring(0, p.length() - 1) + ": expected an object");
            }
            EventFields.unknown(a, Set.of("version", "rule", "statement", "reason"), p);
            MigrationVersion v = version(a.get("version"), p + "version");
            String rule = a.path("rule").asText("");
            if (Rule.byId(rule).isEmpty()) {
                throw new ValidationException(p + "rule: unknown rule '" + rule + "'");
            }
            String statement = a.path("statement").asText("");
            if (!statement.matches("sha256:[0-9a-f]{64}")) {
                throw new ValidationException(p + "statement: expected sha256:<64 lower-case hex digits> of the finding's line");
            }
            String reason = a.path("reason").asText("").strip();
            if (reason.isEmpty() || reason.length() > 500) {
                throw new ValidationException(p + "reason: expected why it is approved, 1 to 500 characters");
            }
            out.add(new Approval(v, rule, statement, reason));
        }
        return new LintApprovals(baseline, out);
    }

    private static MigrationVersion version(JsonNode v, String field) {
        if (v == null || !(v.isTextual() || v.isIntegralNumber())) {
            throw new ValidationException(field + ": expected a version, e.g. \"152\"");
        }
        try {
            return MigrationVersion.parse(v.asText());
        } catch (RuntimeException e) {
            throw new ValidationException(field + ": '" + v.asText() + "' is not a version");
        }
    }

    /**
     * @param script the migration
     * @param line the finding's line, 1-based
     * @return {@code sha256:<hex>} of that line, trimmed
     */
    public static String statementHash(MigrationScript script, int line) {
        String[] lines = script.content().split("\\R", -1);
        String text = line >= 1 && line <= lines.length ? lines[line - 1].strip() : "";
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * @param rule the finding's rule
     * @param script its migration
     * @param line its line
     * @return the approval's reason, {@code baseline <version>} at or below the baseline, or {@code null}
     */
    String reason(Rule rule, MigrationScript script, int line) {
        String hash = null;
        for (Approval a : approvals) {
            if (a.rule().equals(rule.name()) && a.version().equals(script.version())) {
                hash = hash == null ? statementHash(script, line) : hash;
                if (a.statement().equals(hash)) {
                    return a.reason();
                }
            }
        }
        return baseline != null && script.version().compareTo(baseline) <= 0 ? "baseline " + baseline : null;
    }

    /**
     * @param baseline the new baseline
     * @return this file's JSON with that baseline, the approvals kept
     */
    public String withBaseline(MigrationVersion baseline) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("baseline", baseline.toString());
        ArrayNode list = o.putArray("approvals");
        for (Approval a : approvals) {
            list.addObject().put("version", a.version().toString()).put("rule", a.rule()).put("statement", a.statement()).put("reason", a.reason());
        }
        try {
            return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
