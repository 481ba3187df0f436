package dev.tidemark.lint;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.elastic.HttpRequestSpec;
import dev.tidemark.elastic.HttpScriptParser;
import dev.tidemark.erasure.ErasurePlan;
import dev.tidemark.error.ValidationException;
import dev.tidemark.json.Json;
import dev.tidemark.migration.MigrationScript;
import dev.tidemark.migration.Store;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The erasure plan's lint rules, from the files alone (the live coverage check is {@link dev.tidemark.erasure.ErasureCoverage},
 * in the erasure function's answers and the health check): TM003, a plan that does not parse; TM004, a migration that
 * creates a column, field or mapping named like one the plan matches the subject on (or a foreign key to the subject's
 * key) in a table, collection or index the plan does not name, so that an erasure would leave it behind.
 */
final class ErasurePlanLint {

    private static final Pattern CREATE_TABLE = Pattern.compile("(?i)\\bCREATE\\s+(?:UNLOGGED\\s+|TEMP(?:ORARY)?\\s+)?TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?"
        + "([\\w.\"]+)\\s*\\(");
    private static final Pattern ALTER_ADD = Pattern.compile("(?i)\\bALTER\\s+TABLE\\s+(?:IF\\s+EXISTS\\s+)?(?:ONLY\\s+)?([\\w.\"]+)\\s+ADD\\s+"
        + "(?:COLUMN\\s+)?(?:IF\\s+NOT\\s+EXISTS\\s+)?(\"?\\w+\"?)([^;]*)");
    private static final Pattern REFERENCES = Pattern.compile("(?i)\\bREFERENCES\\s+([\\w.\"]+)\\s*\\(\\s*(\"?\\w+\"?)\\s*\\)");
    private static final Set<String> NOT_COLUMNS = Set.of("constraint", "primary", "foreign", "unique", "check", "exclude", "like");

    private ErasurePlanLint() {
    }

    /** What the plan covers: the tables, collections or indices it names, the subject's field names and keys. */
    private record Coverage(Set<String> planned, Set<String> names, Set<String> keys) {
    }

    static void lint(Store store, String planJson, List<MigrationScript> ordered, Linter.Sink sink, List<Finding> findings) {
        ErasurePlan plan;
        try {
            plan = ErasurePlan.parse(store, planJson);
        } catch (ValidationException e) {
            findings.add(new Finding(Rule.TM003.name(), Rule.TM003.severity(), null, ErasurePlan.FILE, 1, e.getMessage(), Rule.TM003.fix(), null));
            return;
        }
        Set<String> planned = new HashSet<>();
        Set<String> names = new LinkedHashSet<>();
        Set<String> keys = new HashSet<>();
        for (ErasurePlan.Item i : plan.items()) {
            planned.add(i.name().toLowerCase(Locale.ROOT));
            if (i.schema() != null) {
                planned.add((i.schema() + "." + i.name()).toLowerCase(Locale.ROOT));
            }
            if (i.through().isEmpty()) {
                if (i.match().equals("id") || i.match().equals("_id")) {
                    keys.add(i.name().toLowerCase(Locale.ROOT) + "." + i.match());
                } else {
                    names.add(i.match().toLowerCase(Locale.ROOT));
                }
            } else {
                names.add(i.through().getLast().column().toLowerCase(Locale.ROOT));
            }
        }
        Coverage c = new Coverage(planned, names, keys);
        for (MigrationScript s : ordered) {
            switch (store) {
                case POSTGRES -> postgres(s, c, sink);
                case MONGODB -> mongo(s, c, sink);
                case ELASTICSEARCH -> elastic(s, c, sink);
            }
        }
    }

    private static String unquote(String name) {
        String n = name.replace("\"", "").toLowerCase(Locale.ROOT);
        return n.startsWith("public.") ? n.substring("public.".length()) : n;
    }

    private static boolean covered(Coverage c, String table) {
        return c.planned().contains(table) || c.planned().contains("public." + table);
    }

    private static int line(String content, int offset) {
        int line = 1;
        for (int i = 0; i < offset && i < content.length(); i++) {
            if (content.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }

    private static void report(Linter.Sink sink, MigrationScript s, int line, String where, String what) {
        sink.add(Rule.TM004, s, line, where + " " + what + ", but erasure.json does not name " + where.substring(0, where.lastIndexOf('.'))
            + ": an erasure would leave it behind");
    }

    private static void postgres(MigrationScript s, Coverage c, Linter.Sink sink) {
        String sql = s.content().replaceAll("--[^\n]*", "");
        Matcher m = CREATE_TABLE.matcher(sql);
        while (m.find()) {
            String table = unquote(m.group(1));
            int depth = 1;
            int i = m.end();
            int start = i;
            List<String> elements = new ArrayList<>();
            for (; i < sql.length() && depth > 0; i++) {
                char ch = sql.charAt(i);
                if (ch == '(') {
                    depth++;
                } else if (ch == ')') {
                    depth--;
                } else if (ch == ',' && depth == 1) {
                    elements.add(sql.substring(start, i));
                    start = i + 1;
                }
            }
            elements.add(sql.substring(start, Math.max(start, i - 1)));
            if (covered(c, table)) {
                continue;
            }
            for (String e : elements) {
                column(s, c, sink, line(sql, m.start()), table, e.strip());
            }
        }
        Matcher a = ALTER_ADD.matcher(sql);
        while (a.find()) {
            String table = unquote(a.group(1));
            if (!covered(c, table) && !NOT_COLUMNS.contains(a.group(2).toLowerCase(Locale.ROOT))) {
                column(s, c, sink, line(sql, a.start()), table, a.group(2) + a.group(3));
            }
        }
    }

    private static void column(MigrationScript s, Coverage c, Linter.Sink sink, int line, String table, String element) {
        String[] words = element.split("\\s+", 2);
        if (words[0].isEmpty() || NOT_COLUMNS.contains(words[0].toLowerCase(Locale.ROOT))) {
            return;
        }
        String column = unquote(words[0]);
        if (c.names().contains(column)) {
            report(sink, s, line, table + "." + column, "is named like the subject's " + column);
            return;
        }
        Matcher r = REFERENCES.matcher(element);
        if (r.find() && c.keys().contains(unquote(r.group(1)) + "." + unquote(r.group(2)))) {
            report(sink, s, line, table + "." + column, "references " + unquote(r.group(1)) + "." + unquote(r.group(2)) + ", the subject's key");
        }
    }

    private static void mongo(MigrationScript s, Coverage c, Linter.Sink sink) {
        JsonNode commands;
        try {
            commands = Json.MAPPER.readTree(s.content());
        } catch (java.io.IOException e) {
            return; // MongoLint reports what does not parse
        }
        if (commands == null || !commands.isArray()) {
            return;
        }
        for (JsonNode cmd : commands) {
            if (!cmd.isObject() || !cmd.fieldNames().hasNext()) {
                continue;
            }
            String verb = cmd.fieldNames().next();
            String collection = cmd.path(verb).asText("");
            if (collection.isEmpty() || c.planned().contains(collection.toLowerCase(Locale.ROOT))) {
                continue;
            }
            Set<String> fields = new LinkedHashSet<>();
            cmd.path("validator").path("$jsonSchema").path("properties").fieldNames().forEachRemaining(fields::add);
            for (JsonNode index : cmd.path("indexes")) {
                index.path("key").fieldNames().forEachRemaining(fields::add);
            }
            for (JsonNode doc : cmd.path("documents")) {
                doc.fieldNames().forEachRemaining(fields::add);
            }
            for (String f : fields) {
                if (c.names().contains(f.toLowerCase(Locale.ROOT))) {
                    int at = s.content().indexOf("\"" + collection + "\"");
                    report(sink, s, line(s.content(), Math.max(0, at)), collection + "." + f, "is named like the subject's " + f);
                }
            }
        }
    }

    private static void elastic(MigrationScript s, Coverage c, Linter.Sink sink) {
        List<HttpRequestSpec> requests;
        try {
            requests = HttpScriptParser.parse(s.script(), s.content());
        } catch (ValidationException e) {
            return;
        }
        for (HttpRequestSpec r : requests) {
            String[] path = r.path().replaceFirst("^/", "").split("[/?]");
            boolean create = r.method().equals("PUT") && path.length == 1 && !path[0].startsWith("_");
            boolean mapping = r.method().equals("PUT") && path.length == 2 && path[1].equals("_mapping");
            if ((!create && !mapping) || r.body() == null || r.body().isBlank()) {
                continue;
            }
            JsonNode body;
            try {
                body = Json.MAPPER.readTree(r.body());
            } catch (java.io.IOException e) {
                continue;
            }
            String index = path[0];
            Set<String> names = new HashSet<>(Set.of(index.toLowerCase(Locale.ROOT)));
            body.path("aliases").fieldNames().forEachRemaining(a -> names.add(a.toLowerCase(Locale.ROOT)));
            if (names.stream().anyMatch(c.planned()::contains)) {
                continue;
            }
            JsonNode properties = create ? body.path("mappings").path("properties") : body.path("properties");
            properties.fieldNames().forEachRemaining(f -> {
                if (c.names().contains(f.toLowerCase(Locale.ROOT))) {
                    report(sink, s, r.line(), index + "." + f, "is mapped like the subject's " + f);
                }
            });
        }
    }
}
