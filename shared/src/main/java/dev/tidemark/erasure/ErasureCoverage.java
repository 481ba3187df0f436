package dev.tidemark.erasure;

import com.fasterxml.jackson.databind.JsonNode;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import dev.tidemark.elastic.ElasticClient;
import org.bson.Document;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The coverage check of an erasure plan against the live schema (GDPR Art. 17 and Art. 25, data protection by design):
 * what looks like a reference to the data subject but is not in the plan, and subject columns an erasure would have to
 * scan. It reads catalogs, collection and index metadata only, never a row's content, and changes nothing. Findings are
 * sentences naming tables, columns, collections, fields and indices:
 * <ul>
 *   <li>PostgreSQL: a foreign key to a column the plan matches the subject on (e.g. {@code users.id}), from a table or
 *       column the plan does not cover; a column named like one the plan matches on ({@code user_id}) in a table the
 *       plan does not name; a column the plan matches or joins on with no index that starts with it.</li>
 *   <li>MongoDB: a collection outside the plan holding a field named like one the plan matches on; a matched field with
 *       no index that starts with it.</li>
 *   <li>Elasticsearch: an index outside the plan whose mapping has a field named like one the plan matches on.</li>
 * </ul>
 */
public final class ErasureCoverage {

    private ErasureCoverage() {
    }

    /** A column the plan matches or joins on, by its catalog names (which may themselves hold dots). */
    private record Column(String schema, String table, String column) {
    }

    /**
     * @param c a connection to the target's database
     * @param plan its plan
     * @return the findings, in a stable order
     * @throws SQLException when the catalog cannot be read
     */
    public static List<String> postgres(Connection c, ErasurePlan plan) throws SQLException {
        Set<String> planned = new HashSet<>();
        Set<String> matched = new HashSet<>();
        Set<String> subjectKeys = new HashSet<>();
        Set<String> subjectNames = new LinkedHashSet<>();
        Set<Column> indexed = new LinkedHashSet<>();
        for (ErasurePlan.Item i : plan.items()) {
            String t = i.schema() + "." + i.name();
            planned.add(t);
            matched.add(t + "." + i.match());
            indexed.add(new Column(i.schema(), i.name(), i.match()));
            if (i.through().isEmpty()) {
                subjectKeys.add(t + "." + i.match());
                if (!i.match().equals("id")) {
                    subjectNames.add(i.match());
                }
            }
            for (ErasurePlan.Hop h : i.through()) {
                indexed.add(new Column(h.schema(), h.table(), h.column()));
            }
        }
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
            SELECT fn.nspname, fc.relname, fa.attname, tn.nspname, tc.relname, ta.attname, con.confdeltype
              FROM pg_constraint con
              JOIN pg_class fc ON fc.oid = con.conrelid JOIN pg_namespace fn ON fn.oid = fc.relnamespace
              JOIN pg_class tc ON tc.oid = con.confrelid JOIN pg_namespace tn ON tn.oid = tc.relnamespace
              JOIN pg_attribute fa ON fa.attrelid = con.conrelid AND fa.attnum = con.conkey[1]
              JOIN pg_attribute ta ON ta.attrelid = con.confrelid AND ta.attnum = con.confkey[1]
             WHERE con.contype = 'f' AND cardinality(con.conkey) = 1 AND NOT fc.relispartition
             ORDER BY 1, 2, 3""");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String from = rs.getString(1) + "." + rs.getString(2);
                String to = rs.getString(4) + "." + rs.getString(5) + "." + rs.getString(6);
                if (subjectKeys.contains(to) && !matched.contains(from + "." + rs.getString(3))) {
                    String cascade = switch (rs.getString(7)) {
                        case "c" -> " (ON DELETE CASCADE removes its rows with the subject's, uncounted)";
                        case "n" -> " (ON DELETE SET NULL clears it with the subject's row, uncounted)";
                        default -> "";
                    };
                    out.add(from + "." + rs.getString(3) + " references " + to + ", the subject's key, but the plan does not match "
                        + from + " on it" + cascade);
                }
            }
        }
        if (!subjectNames.isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement("""
                SELECT n.nspname, cl.relname, a.attname
                  FROM pg_attribute a JOIN pg_class cl ON cl.oid = a.attrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
                 WHERE a.attnum > 0 AND NOT a.attisdropped AND cl.relkind IN ('r', 'p') AND NOT cl.relispartition
                   AND a.attname = ANY (?) AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
                   AND n.nspname NOT LIKE 'pg_temp%' AND cl.relname <> 'flyway_schema_history'
                 ORDER BY 1, 2, 3""")) {
                ps.setArray(1, c.createArrayOf("text", subjectNames.toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String t = rs.getString(1) + "." + rs.getString(2);
                        if (!planned.contains(t)) {
                            out.add(t + "." + rs.getString(3) + " is named like a subject column, but " + t + " is not in the plan");
                        }
                    }
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("""
            SELECT 1 FROM pg_index x JOIN pg_class cl ON cl.oid = x.indrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
              JOIN pg_attribute a ON a.attrelid = cl.oid AND a.attnum = x.indkey[0]
             WHERE n.nspname = ? AND cl.relname = ? AND a.attname = ?""")) {
            for (Column col : indexed) {
                ps.setString(1, col.schema());
                ps.setString(2, col.table());
                ps.setString(3, col.column());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        out.add(col.schema() + "." + col.table() + "." + col.column() + " has no index that starts with it: an erasure scans "
                            + col.schema() + "." + col.table());
                    }
                }
            }
        }
        return out;
    }

    /**
     * @param db the target's database
     * @param plan its plan
     * @return the findings, in a stable order
     */
    public static List<String> mongo(MongoDatabase db, ErasurePlan plan) {
        Set<String> planned = new HashSet<>();
        Set<String> fields = new LinkedHashSet<>();
        for (ErasurePlan.Item i : plan.items()) {
            planned.add(i.name());
            fields.add(i.match());
        }
        List<String> out = new ArrayList<>();
        List<String> collections = db.listCollectionNames().into(new ArrayList<>());
        java.util.Collections.sort(collections);
        for (String name : collections) {
            if (planned.contains(name) || name.startsWith("system.") || name.startsWith("tidemark_")) {
                continue;
            }
            for (String f : fields) {
                if (db.getCollection(name).find(Filters.exists(f, true)).limit(1).first() != null) {
                    out.add(name + " holds documents with a field " + f + ", named like the subject's, but " + name + " is not in the plan");
                }
            }
        }
        for (ErasurePlan.Item i : plan.items()) {
            if (i.match().equals("_id")) {
                continue;
            }
            boolean found = false;
            for (Document index : db.getCollection(i.name()).listIndexes()) {
                Document key = index.get("key", Document.class);
                if (key != null && !key.isEmpty() && key.keySet().iterator().next().equals(i.match())) {
                    found = true;
                }
            }
            if (!found) {
                out.add(i.name() + "." + i.match() + " has no index that starts with it: an erasure scans " + i.name());
            }
        }
        return out;
    }

    /**
     * @param client the target's cluster
     * @param plan its plan
     * @return the findings, in a stable order
     */
    public static List<String> elastic(ElasticClient client, ErasurePlan plan) {
        Set<String> fields = new LinkedHashSet<>();
        Set<String> planned = new HashSet<>();
        for (ErasurePlan.Item i : plan.items()) {
            fields.add(i.match());
            ElasticClient.Reply aliases = client.send("GET", "/" + java.net.URLEncoder.encode(i.name(), java.nio.charset.StandardCharsets.UTF_8)
                + "/_alias", null);
            if (aliases.ok()) {
                aliases.body().fieldNames().forEachRemaining(planned::add);
            }
        }
        ElasticClient.Reply mappings = client.send("GET", "/_mapping", null);
        if (!mappings.ok()) {
            throw mappings.failure("elasticsearch: reading the mappings for the coverage check");
        }
        List<String> out = new ArrayList<>();
        List<String> indices = new ArrayList<>();
        mappings.body().fieldNames().forEachRemaining(indices::add);
        java.util.Collections.sort(indices);
        for (String index : indices) {
            if (planned.contains(index) || index.startsWith(".") || index.startsWith("tidemark_")) {
                continue;
            }
            JsonNode properties = mappings.body().path(index).path("mappings").path("properties");
            for (String f : fields) {
                String[] parts = f.split("\\.");
                JsonNode at = properties;
                for (int k = 0; k < parts.length - 1; k++) {
                    at = at.path(parts[k]).path("properties");
                }
                at = at.path(parts[parts.length - 1]);
                if (!at.isMissingNode()) {
                    out.add(index + " maps a field " + f + ", named like the subject's, but " + index + " is not in the plan");
                }
            }
        }
        return out;
    }
}
