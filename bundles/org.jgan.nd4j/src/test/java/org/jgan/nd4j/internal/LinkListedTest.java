package org.jgan.nd4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The archiving run's linking of classes an earlier run loaded without linking ({@link Nd4jActivator#linkListed}):
 * names in either form, through the first loader that has them, none initialised.
 */
class LinkListedTest {

    /** Set by {@link Listed}'s and {@link Nested}'s static initialisers, which the linking must not run. */
    static final String INITIALISED = "jgan.test.linkListed.initialised";

    static final class Listed {
        static {
            System.setProperty(INITIALISED, "Listed");
        }
    }

    static final class Nested {
        static {
            System.setProperty(INITIALISED, "Nested");
        }
    }

    @Test
    void linksTheNamedClassesThroughTheLoaderThatHasThemWithoutInitialisingThem() {
        // a loader that sees the JDK alone comes first, as the ND4J bundle's does for another bundle's classes
        ClassLoader jdkOnly = new ClassLoader(null) { };
        ClassLoader tests = LinkListedTest.class.getClassLoader();
        List<String> names = List.of(
                Listed.class.getName().replace('.', '/'), // internal form, as -Xlog:cds names it
                "",
                "  " + Nested.class.getName() + " ", // binary form, blanks around it
                "org/jgan/nd4j/internal/NoSuchClass",
                "java/lang/String");
        int linked = Nd4jActivator.linkListed(names, List.of(jdkOnly, tests));
        assertEquals(3, linked, "Listed, Nested and String linked; the blank line and the missing class skipped");
        assertNull(System.getProperty(INITIALISED), "a listed class was initialised");
    }

    @Test
    void noLoaderThatHasTheClassLinksNothing() {
        ClassLoader jdkOnly = new ClassLoader(null) { };
        assertEquals(0, Nd4jActivator.linkListed(List.of(Listed.class.getName()), List.of(jdkOnly)));
        assertNull(System.getProperty(INITIALISED), "a listed class was initialised");
    }
}
