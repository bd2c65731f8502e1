/** A file the extraction process refuses or cannot read; `message` is shown to the user as it is. */
export class ExtractionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExtractionError';
  }
}

export const PASSWORD_PDF = 'Password-protected PDFs are not supported. Remove the password and drop it again.';
export const NOT_DOCX = 'This is not a Word document (.docx). If it is an older .doc file, save it as .docx and drop it again.';
