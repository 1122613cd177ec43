package io.shoal.core;

import com.google.inject.CreationException;
import com.google.inject.Guice;
import com.google.inject.ProvisionException;
import com.google.inject.Stage;
import com.google.inject.spi.Message;
import io.shoal.ShoalConfig;
import io.shoal.ShoalException;
import io.shoal.ShoalNode;
import io.shoal.internal.TypesafeSettings;
import io.shoal.spi.NodeFactory;

/**
 * Starts a node: resolve the configuration, wire it with Guice (which validates every setting and
 * selects every implementation before anything is opened), then start the components in order.
 */
public final class ShoalNodeFactory implements NodeFactory {
    static {
        // Chronicle Map would otherwise try to send usage statistics over the network.
        if (System.getProperty("chronicle.analytics.disable") == null) {
            System.setProperty("chronicle.analytics.disable", "true");
        }
        if (System.getProperty("chronicle.announcer.disable") == null) {
            System.setProperty("chronicle.announcer.disable", "true");
        }
    }

    @Override
    public ShoalNode start(ShoalConfig config) {
        TypesafeSettings settings = ConfigLoader.load(config);
        ShoalNodeImpl node;
        try {
            node = Guice.createInjector(Stage.PRODUCTION, new EngineModule(settings)).getInstance(ShoalNodeImpl.class);
        } catch (CreationException e) {
            throw unwrap(e.getErrorMessages().stream().map(Message::getCause).filter(c -> c != null).findFirst()
                    .orElse(null), e);
        } catch (ProvisionException e) {
            throw unwrap(e.getCause(), e);
        }
        node.start();
        return node;
    }

    private static RuntimeException unwrap(Throwable cause, RuntimeException guiceError) {
        if (cause instanceof ShoalException se) {
            return se;
        }
        return new ShoalException("cannot wire the node: " + (cause != null ? cause : guiceError.getMessage()),
                cause != null ? cause : guiceError);
    }
}
