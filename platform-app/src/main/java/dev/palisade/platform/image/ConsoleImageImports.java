package dev.palisade.platform.image;

import dev.palisade.model.ConflictException;
import dev.palisade.web.platform.ImageImports;
import dev.palisade.web.support.FieldRefusal;
import org.springframework.stereotype.Component;

/** The console's image import (web-ui's {@link ImageImports}): the same {@link Images#importOci} the REST API uses. */
@Component
class ConsoleImageImports implements ImageImports {

    private final Images images;

    ConsoleImageImports(Images images) {
        this.images = images;
    }

    @Override
    public void importOci(String actor, String name, String description, byte[] archive) {
        try {
            images.importOci(actor, name, description, archive);
        } catch (Images.ImportRefused e) {
            throw new FieldRefusal(e.field(), e.getMessage());
        } catch (ConflictException e) {
            throw new FieldRefusal("name", e.getMessage());
        }
    }
}
