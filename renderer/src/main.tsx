import { createRoot } from 'react-dom/client';
import { App } from './App';
import { createApiClient } from './api/client';
import './styles.css';

const root = createRoot(document.getElementById('root') as HTMLElement);
try {
  const api = createApiClient();
  // No StrictMode: its double-mounted effects would initialise the Fabric canvas twice.
  root.render(<App api={api} />);
} catch (e) {
  root.render(
    <div className="fatal" role="alert">
      <h1>Poster Studio</h1>
      <p>{(e as Error).message}</p>
    </div>,
  );
}
