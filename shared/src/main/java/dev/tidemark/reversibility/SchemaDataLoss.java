package dev.tidemark.reversibility;

import dev.tidemark.lint.Approvals;
import dev.tidemark.lint.Finding;
import dev.tidemark.lint.Rule;
import dev.tidemark.migration.MigrationScript;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Data loss found by what a PostgreSQL migration did to the schema rather than by how its SQL reads: the scratch
 * database's catalog before and after the migration ({@link PostgresSnapshot}), compared. This sees through what the
 * SQL parser cannot read ({@code DO $$} blocks, functions, dynamic SQL). Rules {@code SC001} (a table is gone),
 * {@code SC002} (a column is gone), {@code SC003} (an enum value is gone), {@code SC004} (a column's type changed other
 * than by a known widening: {@code smallint -> integer -> bigint}, {@code varchar(n) -> varchar(m >= n)} or {@code text},
 * {@code numeric(p, s) -> numeric} or a wider precision, a type to its array-free self with a looser modifier). A table
 * or column renamed (gone under one name, added under another with the same definition) is not a loss. The migration's
 * approval markers ({@code tidemark:approve SC002 ...}) approve as they do for the lint.
 */
public final class SchemaDataLoss {

    private static final Map<String, Integer> INTEGER_WIDTH = Map.of("smallint", 2, "integer", 4, "bigint", 8);
    private static final Set<String> TEXT = Set.of("text", "character varying");

    private SchemaDataLoss() {
    }

    /**
     * @param script the forward migration
     * @param before the schema before it
     * @param after the schema after it
     * @return its data-loss findings, at line 1 of the migration
     */
    public static List<Finding> of(MigrationScript script, SchemaSnapshot before, SchemaSnapshot after) {
        Approvals approvals = Approvals.of(script.script(), script.content());
        List<Finding> out = new ArrayList<>();
        Map<String, String> was = before.entries();
        Map<String, String> now = after.entries();
        for (Map.Entry<String, String> e : was.entrySet()) {
            String key = e.getKey();
            if (key.startsWith("table.") && !now.containsKey(key) && !renamedTable(key.substring("table.".length()), was, now)) {
                add(out, Rule.SC001, script, approvals, "table " + key.substring("table.".length()) + " is gone after the migration, with its rows");
            } else if (key.startsWith("column.") && !now.containsKey(key)) {
                String tc = key.substring("column.".length());
                String table = tc.substring(0, tc.indexOf('.'));
                if (now.containsKey("table." + table) && !renamedColumn(table, e.getValue(), was, now)) {
                    add(out, Rule.SC002, script, approvals, "column " + tc + " is gone after the migration, with its values");
                }
            } else if (key.startsWith("column.") && now.containsKey(key)) {
                String from = type(e.getValue());
                String to = type(now.get(key));
                if (!from.equals(to) && !widens(from, to)) {
                    add(out, Rule.SC004, script, approvals, "column " + key.substring("column.".length()) + " changes type from " + from + " to " + to
                        + ": the cast can fail or lose precision on existing rows, and rewrites the table");
                }
            } else if (key.startsWith("enum.") && now.containsKey(key)) {
                List<String> lost = new ArrayList<>(List.of(e.getValue().split(", ")));
                lost.removeAll(List.of(now.get(key).split(", ")));
                if (!lost.isEmpty()) {
                    add(out, Rule.SC003, script, approvals, "enum " + key.substring("enum.".length()) + " loses " + String.join(", ", lost));
                }
            }
        }
        return out;
    }

    private static void add(List<Finding> out, Rule rule, MigrationScript s, Approvals approvals, String message) {
        out.add(new Finding(rule.name(), rule.severity(), s.version(), s.script(), 1, message, rule.fix(), approvals.reason(rule)));
    }

    /** @return the columns of a table, {@code name -> definition} */
    private static Map<String, String> columns(String table, Map<String, String> entries) {
        Map<String, String> out = new TreeMap<>();
        String prefix = "column." + table + ".";
        entries.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), v);
            }
        });
        return out;
    }

    private static boolean renamedTable(String table, Map<String, String> was, Map<String, String> now) {
        Map<String, String> cols = columns(table, was);
        return now.keySet().stream().filter(k -> k.startsWith("table.") && !was.containsKey(k))
            .anyMatch(k -> columns(k.substring("table.".length()), now).equals(cols));
    }

    private static boolean renamedColumn(String table, String definition, Map<String, String> was, Map<String, String> now) {
        String prefix = "column." + table + ".";
        return now.entrySet().stream().anyMatch(n -> n.getKey().startsWith(prefix) && !was.containsKey(n.getKey()) && n.getValue().equals(definition));
    }

    /** The type part of a column definition ({@code integer not null default 0} -> {@code integer}). */
    static String type(String definition) {
        String d = definition;
        for (String cut : List.of(" not null", " default ", " identity ")) {
            int i = d.indexOf(cut);
            if (i >= 0) {
                d = d.substring(0, i);
            }
        }
        return d.strip();
    }

    /** @return whether every value of {@code from} fits {@code to} unchanged */
    static boolean widens(String from, String to) {
        if (INTEGER_WIDTH.containsKey(from) && INTEGER_WIDTH.containsKey(to)) {
            return INTEGER_WIDTH.get(to) >= INTEGER_WIDTH.get(from);
        }
        if (INTEGER_WIDTH.containsKey(from) && (to.equals("numeric") || to.startsWith("numeric("))) {
            return to.equals("numeric");
        }
        String fromBase = from.replaceAll("\\(.*\\)", "");
        String toBase = to.replaceAll("\\(.*\\)", "");
        if (TEXT.contains(fromBase) && to.equals("text")) {
            return true;
        }
        if (!fromBase.equals(toBase)) {
            return false;
        }
        if (to.equals(toBase)) {
            return true; // the modifier is dropped: unbounded
        }
        if (from.equals(fromBase)) {
            return false; // unbounded to bounded
        }
        return length(to) >= length(from) && scale(to) == scale(from);
    }

    /** The second number of a type modifier ({@code numeric(10,2)} -> 2), or 0. */
    private static int scale(String type) {
        int open = type.indexOf('(');
        String[] parts = open < 0 ? new String[0] : type.substring(open + 1, type.indexOf(')', open)).split(",");
        return parts.length < 2 ? 0 : Integer.parseInt(parts[1].strip());
    }

    /** The first number of a type modifier: {@code varchar(50)} -> 50, {@code numeric(10,2)} -> 10; unbounded is max. */
    private static int length(String type) {
        int open = type.indexOf('(');
        if (open < 0) {
            return Integer.MAX_VALUE;
        }
        String inner = type.substring(open + 1, type.indexOf(')', open)).split(",")[0].strip();
        try {
            return Integer.parseInt(inner);
        } catch (NumberFormatException e) {
            return Integer.MAX_VALUE;
        }
    }
}
