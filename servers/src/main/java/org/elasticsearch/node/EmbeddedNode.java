package org.elasticsearch.node;

import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.ClasspathPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.plugins.PluginsService;

import java.util.List;

/**
 * An Elasticsearch {@link Node} whose plugins come from the class path (the way Elasticsearch's own test framework
 * builds its mock nodes). Placed in Elasticsearch's package because {@code Node(NodeConstruction)} and
 * {@link NodeServiceProvider} are package-private.
 */
public final class EmbeddedNode extends Node {

    /**
     * @param environment settings and paths of the node
     * @param plugins plugin instances to load, e.g. the Netty4 HTTP transport
     */
    public EmbeddedNode(Environment environment, List<Plugin> plugins) {
        super(NodeConstruction.prepareConstruction(environment, ClasspathPluginsService.emptyLoader(), new NodeServiceProvider() {
            @Override
            PluginsService newPluginService(Environment env, PluginsLoader loader) {
                return new ClasspathPluginsService(env.settings(), env, plugins);
            }
        }, true));
    }
}
