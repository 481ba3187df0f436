package dev.tidemark.lint;

import dev.tidemark.error.ValidationException;
import dev.tidemark.migration.MigrationScript;
import dev.tidemark.postgres.SqlStatements;
import net.sf.jsqlparser.JSQLParserException;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import net.sf.jsqlparser.statement.Statement;
import net.sf.jsqlparser.statement.alter.Alter;
import net.sf.jsqlparser.statement.alter.AlterExpression;
import net.sf.jsqlparser.statement.alter.AlterOperation;
import net.sf.jsqlparser.statement.create.index.CreateIndex;
import net.sf.jsqlparser.statement.create.table.ColDataType;
import net.sf.jsqlparser.statement.create.table.ColumnDefinition;
import net.sf.jsqlparser.statement.create.table.CreateTable;
import net.sf.jsqlparser.statement.create.table.ForeignKeyIndex;
import net.sf.jsqlparser.statement.create.table.Index;
import net.sf.jsqlparser.statement.delete.Delete;
import net.sf.jsqlparser.statement.drop.Drop;
import net.sf.jsqlparser.statement.truncate.Truncate;
import net.sf.jsqlparser.statement.update.Update;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PostgreSQL rules. Statements are split by Flyway's parser (the one that runs them, which also gives each statement's
 * line) and read by JSqlParser; what each migration creates is remembered so that later migrations are judged against
 * it (a table created earlier "exists", a column's old type is known, an index covers a foreign key).
 */
final class PostgresLint {

    private static final Pattern VARCHAR = Pattern.compile("(?:character varying|varchar|char|character)\\s*\\(\\s*(\\d+)\\s*\\)");
    private static final Pattern NUMERIC = Pattern.compile("(?:numeric|decimal)\\s*\\(\\s*(\\d+)\\s*(?:,\\s*(\\d+)\\s*)?\\)");

    /** A foreign key seen, checked for an index once every migration was read. */
    private record ForeignKey(String table, List<String> columns, MigrationScript script, int line) {
    }

    private final Linter.Sink sink;
    private final Map<String, Map<String, String>> columns = new HashMap<>();
    private final Map<String, MigrationScript> createdBy = new HashMap<>();
    private final Map<String, List<List<String>>> indexes = new HashMap<>();
    private final List<ForeignKey> foreignKeys = new ArrayList<>();

    private PostgresLint(Linter.Sink sink) {
        this.sink = sink;
    }

    static void lint(List<MigrationScript> scripts, Linter.Sink sink) {
        PostgresLint lint = new PostgresLint(sink);
        for (MigrationScript s : scripts) {
            List<SqlStatements.Statement> statements;
            try {
                statements = SqlStatements.split(s.script(), s.content());
            } catch (ValidationException e) {
                sink.add(Rule.PG000, s, 1, e.getMessage());
                continue;
            }
            for (SqlStatements.Statement st : statements) {
                lint.statement(s, st);
            }
        }
        for (ForeignKey fk : lint.foreignKeys) {
            boolean covered = lint.indexes.getOrDefault(fk.table(), List.of()).stream().anyMatch(ix -> ix.size() >= fk.columns().size()
                && ix.subList(0, fk.columns().size()).equals(fk.columns()));
            if (!covered) {
                sink.add(Rule.PG003, fk.script(), fk.line(), "foreign key " + fk.table() + " (" + String.join(", ", fk.columns())
                    + ") has no index: deletes on the parent scan " + fk.table() + " and joins are slow");
            }
        }
    }

    private void statement(MigrationScript s, SqlStatements.Statement st) {
        Statement parsed;
        try {
            parsed = CCJSqlParserUtil.parse(st.sql());
        } catch (JSQLParserException | RuntimeException e) {
            sink.add(Rule.PG000, s, st.line(), "not read by the SQL parser, rules not checked: " + abbreviate(st.sql()));
            return;
        }
        switch (parsed) {
            case CreateTable ct -> createTable(s, st, ct);
            case Alter alter -> alter(s, st, alter);
            case CreateIndex ci -> createIndex(s, st, ci);
            case Drop drop when "TABLE".equalsIgnoreCase(drop.getType()) ->
                sink.add(Rule.PG004, s, st.line(), "DROP TABLE " + drop.getName() + " deletes the table and its data");
            case Truncate t -> sink.add(Rule.PG006, s, st.line(), "TRUNCATE " + t.getTable() + " deletes every row");
            case Delete d when d.getWhere() == null -> sink.add(Rule.PG007, s, st.line(), "DELETE FROM " + d.getTable() + " without WHERE deletes every row");
            case Update u when u.getWhere() == null -> sink.add(Rule.PG008, s, st.line(), "UPDATE " + u.getTable() + " without WHERE rewrites every row");
            default -> {
            }
        }
    }

    private void createTable(MigrationScript s, SqlStatements.Statement st, CreateTable ct) {
        String table = name(ct.getTable().getName());
        createdBy.put(table, s);
        Map<String, String> cols = columns.computeIfAbsent(table, t -> new HashMap<>());
        if (ct.getColumnDefinitions() != null) {
            for (ColumnDefinition cd : ct.getColumnDefinitions()) {
                column(s, st, table, cd.getColumnName(), cd.getColDataType(), cd.getColumnSpecs(), false);
                cols.put(name(cd.getColumnName()), type(cd.getColDataType()));
            }
        }
        if (ct.getIndexes() != null) {
            for (Index index : ct.getIndexes()) {
                constraint(s, st, table, index);
            }
        }
    }

    private void column(MigrationScript s, SqlStatements.Statement st, String table, String column, ColDataType type, List<String> specs,
                        boolean added) {
        String t = type(type);
        if (t.startsWith("timestamp") && !t.contains("with time zone") && !t.startsWith("timestamptz")) {
            sink.add(Rule.PG001, s, st.line(), table + "." + name(column) + " is '" + t + "' (without time zone)");
        }
        String spec = specs == null ? "" : String.join(" ", specs).toUpperCase(Locale.ROOT);
        if (spec.contains("REFERENCES")) {
            if (!spec.contains("ON DELETE")) {
                sink.add(Rule.PG002, s, st.line(), table + "." + name(column) + " references another table without ON DELETE");
            }
            foreignKeys.add(new ForeignKey(table, List.of(name(column)), s, st.line()));
        }
        if (spec.contains("PRIMARY KEY") || spec.matches(".*\\bUNIQUE\\b.*")) {
            indexes.computeIfAbsent(table, x -> new ArrayList<>()).add(List.of(name(column)));
        }
        if (added && spec.contains("NOT NULL") && !spec.contains("DEFAULT") && createdBy.get(table) != s) {
            sink.add(Rule.PG011, s, st.line(), "ADD COLUMN " + name(column) + " NOT NULL without DEFAULT fails as soon as " + table + " has rows");
        }
    }

    private void constraint(MigrationScript s, SqlStatements.Statement st, String table, Index index) {
        List<String> cols = index.getColumnsNames() == null ? List.of() : index.getColumnsNames().stream().map(PostgresLint::name).toList();
        if (index instanceof ForeignKeyIndex || index.toString().toUpperCase(Locale.ROOT).contains("FOREIGN KEY")) {
            if (!index.toString().toUpperCase(Locale.ROOT).contains("ON DELETE")) {
                sink.add(Rule.PG002, s, st.line(), "foreign key " + table + " (" + String.join(", ", cols) + ") without ON DELETE");
            }
            foreignKeys.add(new ForeignKey(table, cols, s, st.line()));
        } else if (!cols.isEmpty()) {
            indexes.computeIfAbsent(table, x -> new ArrayList<>()).add(cols);
        }
    }

    private void alter(MigrationScript s, SqlStatements.Statement st, Alter alter) {
        String table = name(alter.getTable().getName());
        Map<String, String> cols = columns.computeIfAbsent(table, t -> new HashMap<>());
        for (AlterExpression e : alter.getAlterExpressions()) {
            String text = e.toString().toUpperCase(Locale.ROOT);
            if (e.getOperation() == AlterOperation.ADD && e.getColDataTypeList() != null) {
                for (AlterExpression.ColumnDataType c : e.getColDataTypeList()) {
                    column(s, st, table, c.getColumnName(), c.getColDataType(), c.getColumnSpecs(), true);
                    cols.put(name(c.getColumnName()), type(c.getColDataType()));
                }
            } else if (e.getOperation() == AlterOperation.ADD && e.getIndex() != null) {
                constraint(s, st, table, e.getIndex());
            } else if (e.getOperation() == AlterOperation.DROP && e.getColumnName() != null && e.getConstraintName() == null
                && !text.contains("CONSTRAINT")) {
                sink.add(Rule.PG005, s, st.line(), "DROP COLUMN " + table + "." + name(e.getColumnName()) + " deletes the column's data");
                cols.remove(name(e.getColumnName()));
            } else if ((e.getOperation() == AlterOperation.ALTER || e.getOperation() == AlterOperation.MODIFY) && e.getColDataTypeList() != null
                && text.contains(" TYPE ")) {
                for (AlterExpression.ColumnDataType c : e.getColDataTypeList()) {
                    String column = name(c.getColumnName());
                    String to = type(c.getColDataType());
                    String from = cols.get(column);
                    if (from == null) {
                        sink.add(Rule.PG009, s, st.line(), table + "." + column + " changes type to " + to
                            + " and its old type is not known from earlier migrations: the cast can fail or lose precision on existing rows, and it "
                            + "rewrites the table");
                    } else if (narrows(from, to)) {
                        sink.add(Rule.PG009, s, st.line(), table + "." + column + " changes type from " + from + " to " + to
                            + ": the cast can fail or lose precision on existing rows, and it rewrites the table");
                    }
                    cols.put(column, to);
                }
            }
        }
    }

    private void createIndex(MigrationScript s, SqlStatements.Statement st, CreateIndex ci) {
        String table = name(ci.getTable().getName());
        List<String> cols = ci.getIndex().getColumnsNames() == null ? List.of()
            : ci.getIndex().getColumnsNames().stream().map(PostgresLint::name).toList();
        indexes.computeIfAbsent(table, x -> new ArrayList<>()).add(cols);
        MigrationScript creator = createdBy.get(table);
        boolean concurrently = !st.transactional();
        if (!concurrently && creator != null && creator != s) {
            sink.add(Rule.PG010, s, st.line(), "CREATE INDEX on " + table + " (created by " + creator.script()
                + ") without CONCURRENTLY blocks writes while it builds");
        }
    }

    /** @return whether a change from type {@code from} to {@code to} can lose values */
    static boolean narrows(String from, String to) {
        int fromInt = integerRank(from);
        int toInt = integerRank(to);
        if (fromInt > 0 && toInt > 0) {
            return toInt < fromInt;
        }
        if (fromInt > 0 && (to.startsWith("numeric") || to.startsWith("decimal")) && !NUMERIC.matcher(to).find()) {
            return false;
        }
        Matcher toLen = VARCHAR.matcher(to);
        if (toLen.find()) {
            Matcher fromLen = VARCHAR.matcher(from);
            return !fromLen.find() || Integer.parseInt(toLen.group(1)) < Integer.parseInt(fromLen.group(1));
        }
        if (to.equals("text") || to.startsWith("character varying") && !to.contains("(") || to.equals("varchar")) {
            return false;
        }
        Matcher toNum = NUMERIC.matcher(to);
        Matcher fromNum = NUMERIC.matcher(from);
        if (toNum.find() && fromNum.find()) {
            int tp = Integer.parseInt(toNum.group(1));
            int ts = toNum.group(2) == null ? 0 : Integer.parseInt(toNum.group(2));
            int fp = Integer.parseInt(fromNum.group(1));
            int fs = fromNum.group(2) == null ? 0 : Integer.parseInt(fromNum.group(2));
            return ts < fs || tp - ts < fp - fs;
        }
        return !from.equals(to);
    }

    private static int integerRank(String t) {
        return switch (t) {
            case "smallint", "int2" -> 1;
            case "integer", "int", "int4", "serial" -> 2;
            case "bigint", "int8", "bigserial" -> 3;
            default -> 0;
        };
    }

    private static String type(ColDataType t) {
        String args = t.getArgumentsStringList() == null || t.getArgumentsStringList().isEmpty() ? ""
            : "(" + String.join(",", t.getArgumentsStringList()) + ")";
        return (t.getDataType() + args).toLowerCase(Locale.ROOT).replaceAll("\\s+", " ").replace(" (", "(");
    }

    private static String name(String identifier) {
        String n = identifier.replace("\"", "");
        int dot = n.lastIndexOf('.');
        return (dot < 0 ? n : n.substring(dot + 1)).toLowerCase(Locale.ROOT);
    }

    private static String abbreviate(String sql) {
        String one = sql.replaceAll("\\s+", " ").strip();
        return one.length() > 80 ? one.substring(0, 77) + "..." : one;
    }
}
