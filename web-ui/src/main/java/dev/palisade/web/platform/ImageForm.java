package dev.palisade.web.platform;

import org.springframework.web.multipart.MultipartFile;

/** The console's image import form: a name, an optional description and the archive file. */
class ImageForm {

    private String name;
    private String description;
    private MultipartFile archive;

    public String getName() { return name; }
    public void setName(String name) { this.name = name == null ? null : name.trim(); }
    public String getDescription() { return description; }
    public void setDescription(String description) { this.description = description == null || description.isBlank() ? null : description.trim(); }
    public MultipartFile getArchive() { return archive; }
    public void setArchive(MultipartFile archive) { this.archive = archive; }
}
